// Fixtures for the row-level security matrix (test/rls/): two "worlds", each with users of every
// role and at least one row of theirs in every table, plus, per table, a description of whose
// rows are whose. Written on the owner role, as the seeding tools would.
import { randomBytes } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import { aBrief, aClient, aDesigner, aMatch, anAdmin, type TestUser } from './onedesigner'
import { bandsyTableSpecs, buildBandWorld, musiciansOf, type BandWorld } from './rls-world-bandsy'

export type Role = TestUser['role'] | 'musician'
export const ROLES: Role[] = ['client', 'designer', 'admin', 'musician']

/** A user the matrix acts as: OneDesigner's clients, designers and admins, Bandsy's musicians. */
export type Actor = Omit<TestUser, 'role'> & { role: Role }
/** The app whose token the actor holds. */
export const appOf = (a: Actor) => (a.role === 'musician' ? 'bandsy' : 'onedesigner')

export interface World {
  name: string
  client: TestUser
  designer: TestUser
  /** An unapproved designer: their profile is not public. */
  pending: TestUser
  admin: TestUser
  brief: { id: string }
  /** A second brief of the client's, without an embedding. */
  spareBrief: { id: string }
  match: { id: string }
  band: BandWorld
}

export const usersOf = (w: World): TestUser[] => [w.client, w.designer, w.pending, w.admin]
/** Every user of the world, of every app: each tries every other's rows. */
export const actorsOf = (w: World): Actor[] => [...usersOf(w), ...musiciansOf(w.band)]

/** One group of rows of a table that belongs to the same users. */
export interface RowSet {
  label: string
  /** WHERE condition that selects exactly these rows (checked on the owner role: at least one). */
  where: RawBuilder<unknown>
  /** The users these rows belong to; every other user must neither see nor change them. */
  parties: Actor[]
  /** Roles that may read these rows although they are not parties, and why (by design). */
  readableBy?: Role[]
  /** Roles that may update these rows although they are not parties (by design). */
  updatableBy?: Role[]
  /** A new row that would belong to these parties: no one else may insert it. */
  insert: Record<string, unknown>
  /** The column that says whose a row is, and this set's value: no one may hand their own row over to it. */
  owner?: { column: string; value: unknown }
}

export interface TableSpec {
  sets(w: World): RowSet[]
  /** Why non-parties may read or update (printed with the counts). */
  byDesign?: string
}

const tag = () => randomBytes(4).toString('hex')
const future = (p: Platform, days: number) => new Date(p.clock.now().getTime() + days * 86_400_000)
const ALL_ROLES: Role[] = ['client', 'designer', 'admin'] // OneDesigner's

/**
 * Every table of every app schema and of the platform schema. A table missing here makes the
 * matrix fail, naming it: a new table gets its row-level security tested or the build goes red.
 */
export function tableSpecs(p: Platform): Record<string, TableSpec> {
  const perUser = (
    column: string,
    insert: (u: TestUser) => Record<string, unknown>,
    who: (w: World) => TestUser[] = usersOf,
  ): TableSpec => ({
    sets: (w) =>
      who(w).map((u) => ({
        label: `${u.role} ${u.email}`,
        where: sql`${sql.ref(column)} = ${u.id}`,
        parties: [u],
        insert: insert(u),
        owner: { column, value: u.id },
      })),
  })
  const byEmail = (column: string, insert: (u: TestUser) => Record<string, unknown>): TableSpec => ({
    sets: (w) =>
      usersOf(w).map((u) => ({
        label: `${u.role} ${u.email}`,
        where: sql`${sql.ref(column)} = ${u.email}`,
        parties: [u],
        insert: insert(u),
        owner: { column, value: u.email },
      })),
  })
  const ofBrief = (insert: (w: World) => Record<string, unknown>): TableSpec => ({
    sets: (w) => [
      { label: `brief of ${w.client.email}`, where: sql`brief_id = ${w.brief.id}`, parties: [w.client], insert: insert(w), owner: { column: 'brief_id', value: w.brief.id } },
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
      sets: (w) => [{ label: w.admin.email, where: sql`id = ${w.admin.id}`, parties: [w.admin], insert: { email: `x-${tag()}@example.test`, name: 'X' } }],
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
    'onedesigner.auth_tokens': byEmail('email', (u) => ({ email: u.email, code: 'x', type: u.role, purpose: 'login', expires_at: future(p, 1) })),
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
    'onedesigner.match_cache': ofBrief((w) => ({ brief_id: w.brief.id, designer_id: w.pending.id, score: 60, reasons: ['x'], expires_at: future(p, 1) })),
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
    'platform.audit_log': perUser('actor_id', (u) => ({ app: 'onedesigner', actor_id: u.id, actor_role: u.role, action: 'x' })),
    'platform.ledger_entries': perUser(
      'account_id',
      (u) => ({ app: 'onedesigner', account_table: 'clients', account_id: u.id, delta: 1, balance_after: 1, reason: 'x' }),
      (w) => [w.client],
    ),
    'platform.idempotency_keys': {
      sets: (w) =>
        usersOf(w).map((u) => ({
          label: `keys of ${u.email}`,
          where: sql`scope like ${`onedesigner:${u.id}:%`}`,
          parties: [u],
          insert: { scope: `onedesigner:${u.id}:POST /x`, key: tag(), request_hash: 'x', expires_at: future(p, 1) },
        })),
    },
    'platform.refresh_tokens': perUser('user_id', (u) => ({ app: 'onedesigner', user_id: u.id, role: u.role, token_hash: tag(), expires_at: future(p, 1) })),
    'platform.dev_mailbox': byEmail('to_address', (u) => ({ to_address: u.email, subject: 'x', text_body: 'x' })),
    ...bandsyTableSpecs(p),
  }
}

/** Builds one world with a row of its users' in every table of tableSpecs(). */
export async function buildWorld(p: Platform, name: string): Promise<World> {
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
    .values({ matchId: match.id, clientId: client.id, designerId: designer.id, message: 'Hello', briefSnapshot: JSON.stringify({ t: 1 }), responseDeadline: future(p, 3) })
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
    await db.insertInto('onedesigner.notifications').values({ userId: u.id, type: 'test', title: `for ${u.email}` }).execute()
    await db.insertInto('onedesigner.notificationPreferences').values({ userId: u.id }).execute()
    await db.insertInto('platform.auditLog').values({ app: 'onedesigner', actorId: u.id, actorRole: u.role, action: 'test' }).execute()
    await db.insertInto('platform.refreshTokens').values({ app: 'onedesigner', userId: u.id, role: u.role, tokenHash: tag(), expiresAt: future(p, 30) }).execute()
    await db.insertInto('onedesigner.authTokens').values({ email: u.email, code: tag(), type: u.role, purpose: 'login', expiresAt: future(p, 1) }).execute()
    await db.insertInto('platform.idempotencyKeys').values({ scope: `onedesigner:${u.id}:POST /x`, key: tag(), requestHash: 'h', expiresAt: future(p, 1) }).execute()
    await db.insertInto('platform.devMailbox').values({ toAddress: u.email, subject: 'Your code', textBody: '123456' }).execute()
  }
  return { name, client, designer, pending, admin, brief, spareBrief, match, band: await buildBandWorld(p) }
}
