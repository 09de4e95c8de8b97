// OneDesigner's part of the row-level security matrix (test/rls/): per world, users of every role
// with at least one row of theirs in every OneDesigner table, and per table whose rows are whose.
// Written on the owner role, as the seeding tools would.
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../../../src/platform/platform'
import { aBrief, aClient, aDesigner, aMatch, anAdmin, type TestUser } from '../onedesigner'
import type { Actor, AppWorld, TableSpec } from '../app-testing'

export interface OneDesignerWorld extends AppWorld {
  client: Actor
  designer: Actor
  /** An unapproved designer: their profile is not public. */
  pending: Actor
  admin: Actor
  brief: { id: string }
  /** A second brief of the client's, without an embedding. */
  spareBrief: { id: string }
  match: { id: string }
}

type World = OneDesignerWorld
type Spec = TableSpec<World>
const usersOf = (w: World): Actor[] => [w.client, w.designer, w.pending, w.admin]
export const asActor = (u: TestUser): Actor => ({ ...u, app: 'onedesigner' })

const tag = () => randomBytes(4).toString('hex')
const future = (p: Platform, days: number) => new Date(p.clock.now().getTime() + days * 86_400_000)
const ALL_ROLES = ['client', 'designer', 'admin']

/** Every OneDesigner table, and the ledger rows of its clients' balances. */
export function oneDesignerTables(p: Platform): Record<string, Spec> {
  const perUser = (column: string, insert: (u: Actor) => Record<string, unknown>, who: (w: World) => Actor[] = usersOf): Spec => ({
    sets: (w) =>
      who(w).map((u) => ({
        label: `${u.role} ${u.email}`,
        where: sql`${sql.ref(column)} = ${u.id}`,
        parties: [u],
        insert: insert(u),
        owner: { column, value: u.id },
      })),
  })
  const byEmail = (column: string, insert: (u: Actor) => Record<string, unknown>): Spec => ({
    sets: (w) =>
      usersOf(w).map((u) => ({
        label: `${u.role} ${u.email}`,
        where: sql`${sql.ref(column)} = ${u.email}`,
        parties: [u],
        insert: insert(u),
        owner: { column, value: u.email },
      })),
  })
  const ofBrief = (insert: (w: World) => Record<string, unknown>): Spec => ({
    sets: (w) => [
      {
        label: `brief of ${w.client.email}`,
        where: sql`brief_id = ${w.brief.id}`,
        parties: [w.client],
        insert: insert(w),
        owner: { column: 'brief_id', value: w.brief.id },
      },
    ],
  })

  return {
    'onedesigner.clients': {
      byDesign: 'admins read every client (support, moderation)',
      sets: (w) => [
        {
          label: w.client.email,
          where: sql`id = ${w.client.id}`,
          parties: [w.client],
          readableBy: ['admin'],
          insert: { email: `x-${tag()}@example.test`, first_name: 'X' },
        },
      ],
    },
    'onedesigner.designers': {
      byDesign: 'approved profiles are public to signed-in users; admins read and approve/reject every profile',
      sets: (w) => [
        {
          label: `approved ${w.designer.email}`,
          where: sql`id = ${w.designer.id}`,
          parties: [w.designer],
          readableBy: ALL_ROLES,
          updatableBy: ['admin'],
          insert: { email: `x-${tag()}@example.test`, first_name: 'X', last_name: 'Y' },
          owner: { column: 'id', value: w.designer.id },
        },
        {
          label: `pending ${w.pending.email}`,
          where: sql`id = ${w.pending.id}`,
          parties: [w.pending],
          readableBy: ['admin'],
          updatableBy: ['admin'],
          insert: { email: `x-${tag()}@example.test`, first_name: 'X', last_name: 'Y' },
          owner: { column: 'id', value: w.pending.id },
        },
      ],
    },
    'onedesigner.admins': {
      sets: (w) => [
        {
          label: w.admin.email,
          where: sql`id = ${w.admin.id}`,
          parties: [w.admin],
          insert: { email: `x-${tag()}@example.test`, name: 'X' },
        },
      ],
    },
    'onedesigner.briefs': {
      byDesign: 'admins read every brief',
      sets: (w) => [
        {
          label: `brief of ${w.client.email}`,
          where: sql`client_id = ${w.client.id}`,
          parties: [w.client],
          readableBy: ['admin'],
          insert: { client_id: w.client.id, project_type: 'branding-logo' },
          owner: { column: 'client_id', value: w.client.id },
        },
      ],
    },
    'onedesigner.matches': {
      byDesign: 'admins read every match',
      sets: (w) => [
        {
          label: `matches of ${w.client.email}`,
          where: sql`client_id = ${w.client.id}`,
          // The matched designer is not a party: a designer never sees the client's matches.
          parties: [w.client],
          readableBy: ['admin'],
          insert: { client_id: w.client.id, designer_id: w.pending.id, brief_id: w.brief.id, score: 60, reasons: ['x'] },
          owner: { column: 'client_id', value: w.client.id },
        },
      ],
    },
    'onedesigner.client_designers': {
      byDesign: 'admins read every unlock',
      sets: (w) => [
        {
          label: `unlock ${w.client.email} -> ${w.designer.email}`,
          where: sql`client_id = ${w.client.id}`,
          parties: [w.client, w.designer],
          readableBy: ['admin'],
          insert: { client_id: w.client.id, designer_id: w.pending.id },
          owner: { column: 'client_id', value: w.client.id },
        },
      ],
    },
    'onedesigner.project_requests': {
      byDesign: 'admins read every project request',
      sets: (w) => [
        {
          label: `request ${w.client.email} -> ${w.designer.email}`,
          where: sql`client_id = ${w.client.id}`,
          parties: [w.client, w.designer],
          readableBy: ['admin'],
          insert: {
            client_id: w.client.id,
            designer_id: w.pending.id,
            match_id: w.match.id,
            message: 'hello',
            brief_snapshot: '{}',
            response_deadline: future(p, 3),
          },
          owner: { column: 'client_id', value: w.client.id },
        },
      ],
    },
    'onedesigner.auth_tokens': byEmail('email', (u) => ({
      email: u.email,
      code: 'x',
      type: u.role,
      purpose: 'login',
      expires_at: future(p, 1),
    })),
    'onedesigner.designer_embeddings': {
      byDesign: 'the embedding of a profile is as visible as the profile',
      sets: (w) => [
        {
          label: `embedding of approved ${w.designer.email}`,
          where: sql`designer_id = ${w.designer.id}`,
          parties: [w.designer],
          readableBy: ALL_ROLES,
          insert: { designer_id: w.designer.id, embedding: [0.5, 0.5] },
          owner: { column: 'designer_id', value: w.designer.id },
        },
        {
          label: `embedding of pending ${w.pending.email}`,
          where: sql`designer_id = ${w.pending.id}`,
          parties: [w.pending],
          readableBy: ['admin'],
          insert: { designer_id: w.pending.id, embedding: [0.5, 0.5] },
          owner: { column: 'designer_id', value: w.pending.id },
        },
      ],
    },
    'onedesigner.designer_match_facets': {
      byDesign: 'only approved, available profiles have facets, and those profiles are public',
      sets: (w) => [
        {
          label: `facets of approved ${w.designer.email}`,
          where: sql`designer_id = ${w.designer.id}`,
          parties: [w.designer],
          readableBy: ALL_ROLES,
          insert: { category: 'web-design', designer_id: w.designer.id },
          owner: { column: 'designer_id', value: w.designer.id },
        },
      ],
    },
    'onedesigner.match_cache': ofBrief((w) => ({
      brief_id: w.brief.id,
      designer_id: w.pending.id,
      score: 60,
      reasons: ['x'],
      expires_at: future(p, 1),
    })),
    'onedesigner.brief_embeddings': {
      sets: (w) => [
        {
          label: `embedding of the brief of ${w.client.email}`,
          where: sql`brief_id = ${w.brief.id}`,
          parties: [w.client],
          // A fresh brief of the victim's, so the insert is refused by policy rather than by the key.
          insert: { brief_id: w.spareBrief.id, embedding_f32: Buffer.from([0, 0, 0, 0]), text_hash: 'x', model_version: 'x' },
          owner: { column: 'brief_id', value: w.brief.id },
        },
      ],
    },
    'onedesigner.credit_packages': {
      byDesign: 'the packages on sale are a public catalog; nobody but the owner role writes it',
      sets: () => [
        {
          label: 'catalog',
          where: sql`active`,
          parties: [],
          readableBy: ALL_ROLES,
          insert: { id: `x-${tag()}`, name: 'X', credits: 1, price_cents: 100 },
        },
      ],
    },
    'onedesigner.credit_purchases': {
      byDesign: 'admins read every purchase',
      sets: (w) => [
        {
          label: `purchases of ${w.client.email}`,
          where: sql`client_id = ${w.client.id}`,
          parties: [w.client],
          readableBy: ['admin'],
          insert: { client_id: w.client.id, package_id: 'starter', credits: 3, amount_cents: 2900, currency: 'usd', provider: 'local' },
          owner: { column: 'client_id', value: w.client.id },
        },
      ],
    },
    'onedesigner.notifications': perUser('user_id', (u) => ({ user_id: u.id, type: 'x', title: 'x' })),
    'onedesigner.notification_preferences': perUser('user_id', (u) => ({ user_id: u.id })),
    'platform.ledger_entries': perUser(
      'account_id',
      (u) => ({ app: 'onedesigner', account_table: 'clients', account_id: u.id, delta: 1, balance_after: 1, reason: 'x' }),
      (w) => [w.client],
    ),
  }
}

/** Builds OneDesigner's part of one world: a row of its users' in every table of oneDesignerTables(). */
export async function oneDesignerWorld(p: Platform, _name: string): Promise<World> {
  const db = p.db.kysely
  const client = await aClient(p, { credits: 3 })
  const designer = await aDesigner(p)
  const pending = await aDesigner(p, { approved: false })
  const admin = await anAdmin(p)
  const brief = await aBrief(p, client)
  const spareBrief = await aBrief(p, client)
  const match = await aMatch(p, { client, designer, brief })
  const users = [client, designer, pending, admin]

  await db.insertInto('onedesigner.clientDesigners').values({ clientId: client.id, designerId: designer.id, matchId: match.id }).execute()
  await db
    .insertInto('onedesigner.projectRequests')
    .values({
      matchId: match.id,
      clientId: client.id,
      designerId: designer.id,
      message: 'Hello',
      briefSnapshot: JSON.stringify({ t: 1 }),
      responseDeadline: future(p, 3),
    })
    .execute()
  for (const d of [designer, pending])
    await sql`insert into onedesigner.designer_embeddings (designer_id, embedding) values (${d.id}, ${[0.1, 0.2]})`.execute(db)
  await sql`insert into onedesigner.match_cache (brief_id, designer_id, score, reasons, expires_at)
            values (${brief.id}, ${designer.id}, 70, ${['x']}, ${future(p, 1)})`.execute(db)
  await sql`insert into onedesigner.brief_embeddings (brief_id, embedding_f32, text_hash, model_version)
            values (${brief.id}, ${Buffer.from([0, 0, 128, 63])}, 'h', 'm')`.execute(db)
  await db
    .insertInto('onedesigner.creditPurchases')
    .values({ clientId: client.id, packageId: 'starter', credits: 3, amountCents: 2900, currency: 'usd', provider: 'local' })
    .execute()
  for (const u of users) {
    await db
      .insertInto('onedesigner.notifications')
      .values({ userId: u.id, type: 'test', title: `for ${u.email}` })
      .execute()
    await db.insertInto('onedesigner.notificationPreferences').values({ userId: u.id }).execute()
    await db
      .insertInto('onedesigner.authTokens')
      .values({ email: u.email, code: tag(), type: u.role, purpose: 'login', expiresAt: future(p, 1) })
      .execute()
  }
  const actors = users.map(asActor)
  const [a, d, pd, ad] = actors as [Actor, Actor, Actor, Actor]
  return { actors, client: a, designer: d, pending: pd, admin: ad, brief, spareBrief, match }
}
