// SQL for Bandsy accounts, on the owner role: sign-in happens before there is a user to act as.
import { sql, type Selectable } from 'kysely'
import type { BandsyUsers, Executor } from '../../../platform'

const COLUMNS = ['id', 'clerkId', 'email', 'username', 'displayName', 'deletedAt'] as const
export type AccountRow = Pick<Selectable<BandsyUsers>, (typeof COLUMNS)[number]>

export const findByEmail = (db: Executor, email: string): Promise<AccountRow | undefined> =>
  db.selectFrom('bandsy.users').select(COLUMNS).where('email', '=', email).executeTakeFirst()

export const findByClerkId = (db: Executor, clerkId: string): Promise<AccountRow | undefined> =>
  db.selectFrom('bandsy.users').select(COLUMNS).where('clerkId', '=', clerkId).executeTakeFirst()

export const findById = (db: Executor, id: string): Promise<AccountRow | undefined> =>
  db.selectFrom('bandsy.users').select(COLUMNS).where('id', '=', id).executeTakeFirst()

/**
 * Creates a musician with a free username derived from `base` (suffixed -2, -3 ... or a random
 * tail when taken). The caller's transaction holds an advisory lock on the base, so two sign-ups
 * with the same base do not pick the same name.
 */
export async function createUser(
  db: Executor,
  u: { clerkId: string; email: string | null; usernameBase: string; displayName: string; now: Date },
): Promise<AccountRow> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'bandsy.username:' + u.usernameBase}, 0))`.execute(db)
  const taken = await db.selectFrom('bandsy.users').select('username').where('username', 'like', `${u.usernameBase}%`).execute()
  const names = new Set(taken.map((t) => t.username))
  let username = u.usernameBase
  for (let i = 2; names.has(username); i++) username = `${u.usernameBase.slice(0, 44)}-${i}`
  return db
    .insertInto('bandsy.users')
    .values({ clerkId: u.clerkId, email: u.email, username, displayName: u.displayName, lastActiveAt: u.now, createdAt: u.now })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export const touchLastActive = (db: Executor, id: string, now: Date) =>
  db.updateTable('bandsy.users').set({ lastActiveAt: now }).where('id', '=', id).execute()
