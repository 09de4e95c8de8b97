// Row-level security: user-facing work runs as matchbase_user with the caller's claims,
// set transaction-locally in one round trip (works behind PgBouncer in transaction mode).
import { sql } from 'kysely'
import type { Db, Tx } from './database'

export const USER_ROLE = 'matchbase_user'

export interface Claims {
  /** The user's id (uuid). */
  sub: string
  /** The user's role within the app, e.g. client | designer | admin. */
  role: string
  /** The app the token was issued for. */
  app: string
  [extra: string]: unknown
}

export async function asUser(tx: Tx, claims: Claims): Promise<void> {
  await sql`select set_config('role', ${USER_ROLE}, true), set_config('request.claims', ${JSON.stringify(claims)}, true)`.execute(
    tx,
  )
}

/** Runs fn in a transaction under row-level security as the given user. */
export function withUser<T>(db: Db, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await asUser(tx, claims)
    return fn(tx)
  })
}
