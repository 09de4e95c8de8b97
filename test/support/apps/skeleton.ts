// The skeleton app's testing provider (test/support/app-testing.ts): its members, their rows in
// every table of its schema for the RLS matrix, and its rows and tokens for the fuzzer.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Platform } from '../../../src/platform/platform'
import { type Actor, type AppWorld, type TableSpec, defineTesting } from '../app-testing'
import { uniqueEmail } from '../otp-mail'
import type { DB } from '../skeleton-app/schema.generated'

const APP = 'skeleton'
// The skeleton's tables are not in the platform's DB type (a test-only app): its own generated types.
const db = (p: Platform) => p.db.kysely as unknown as Kysely<DB>

/** A member with a note, a notification, a sign-in code and a purchase, and a signed token. */
export async function aMember(p: Platform): Promise<Actor & { noteId: string }> {
  const email = uniqueEmail('member')
  const { id } = await db(p).insertInto('skeleton.users').values({ email }).returning('id').executeTakeFirstOrThrow()
  const note = await db(p).insertInto('skeleton.notes').values({ ownerId: id, body: 'mine' }).returning('id').executeTakeFirstOrThrow()
  const expires = new Date(p.clock.now().getTime() + 86_400_000)
  await db(p).insertInto('skeleton.notifications').values({ userId: id, type: 'test', title: 'hello' }).execute()
  await db(p).insertInto('skeleton.authTokens').values({ email, code: 'x', type: 'member', purpose: 'login', expiresAt: expires }).execute()
  await db(p)
    .insertInto('skeleton.creditPurchases')
    .values({ id: randomUUID(), userId: id, credits: 10, amountCents: 500, currency: 'usd', provider: 'local' })
    .execute()
  const token = await p.tokens.sign({ sub: id, role: 'member', app: APP, email }, p.clock.now())
  return { id, email, token, role: 'member', app: APP, noteId: note.id }
}

/** One row set per member, by the column naming them (an id or the email). */
const perMember = (column: string, insert: (m: Actor) => Record<string, unknown>, byEmail = false): TableSpec<AppWorld> => ({
  sets: (w) =>
    w.actors.map((m) => {
      const value = byEmail ? m.email : m.id
      return {
        label: `member ${m.email}`,
        where: sql`${sql.ref(column)} = ${value}`,
        parties: [m],
        insert: insert(m),
        owner: { column, value },
      }
    }),
})

export const testing = defineTesting({
  name: APP,
  roles: ['member'],
  async user(p, role) {
    if (role !== 'member') throw new Error(`the skeleton has no role "${role}"`)
    return aMember(p)
  },
  rls: {
    world: async (p) => ({ actors: [await aMember(p), await aMember(p)] }),
    tables: (p) => ({
      'skeleton.users': perMember('id', () => ({ email: uniqueEmail('x') })),
      'skeleton.notes': perMember('owner_id', (m) => ({ owner_id: m.id, body: 'x' })),
      'skeleton.notifications': perMember('user_id', (m) => ({ user_id: m.id, type: 'x', title: 'x' })),
      'skeleton.auth_tokens': perMember(
        'email',
        (m) => ({
          email: m.email,
          code: 'x',
          type: 'member',
          purpose: 'login',
          expires_at: new Date(p.clock.now().getTime() + 86_400_000),
        }),
        true,
      ),
      'skeleton.credit_purchases': perMember('user_id', (m) => ({
        id: sql`gen_random_uuid()`,
        user_id: m.id,
        credits: 1,
        amount_cents: 1,
        currency: 'usd',
        provider: 'local',
      })),
    }),
  },
  fuzz: {
    kinds: { note: 'notes', purchase: 'purchases' },
    async seed(s) {
      const members = [await aMember(s.env.platform), await aMember(s.env.platform), await aMember(s.env.platform)]
      for (const m of members) {
        s.addId(m.noteId, 'notes')
        s.addEmail(m.email)
      }
      return {
        kinds: { member: { role: 'member', headers: members.map((m) => `Bearer ${m.token}`) } },
        draw: ['member'],
        principals: members,
      }
    },
  },
  otp: {
    kinds: [{ known: aMember }],
    body: (email) => ({ email }),
    hasAccount: async (p, email) => !!(await db(p).selectFrom('skeleton.users').select('id').where('email', '=', email).executeTakeFirst()),
  },
})
