// Row-level security: user-facing work runs as matchbase_user with the caller's claims,
// set transaction-locally in one round trip (works behind PgBouncer in transaction mode).
import pg from 'pg'
import { sql } from 'kysely'
import type { Db, Tx } from './database'
import { readRoutingOf, type ReadRouting } from './read-routing'
import { deferred } from './pg-driver'
import type { Platform } from '../platform'

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
  // Deferred: it travels with the transaction's BEGIN and first statement, in one round trip
  // (src/platform/db/pg-driver.ts). A literal, not a parameter, because a deferred statement has
  // none: escapeLiteral quotes any text safely (quotes and backslashes doubled, E'' form), and
  // JSON text holds no NUL.
  const claimsJson = pg.escapeLiteral(JSON.stringify(claims))
  await sql.raw(deferred(`select set_config('role', '${USER_ROLE}', true), set_config('request.claims', ${claimsJson}, true)`)).execute(tx)
}

/**
 * Lets the transaction's COMMIT answer before its WAL is flushed to disk (synchronous_commit off,
 * for this transaction only; docs/decisions/0027-asynchronous-commit.md). Only for writes whose
 * loss in a crash costs a recomputation and nothing else: a match run, a discovery snapshot. A
 * crash can forget the last few hundred milliseconds of such commits, never half of one, and any
 * later ordinary commit (an unlock, a payment) flushes them with it. Call it first in the
 * transaction: it travels with BEGIN and costs no round trip.
 */
export async function asynchronousCommit(tx: Tx): Promise<void> {
  await sql.raw(deferred('set local synchronous_commit = off')).execute(tx)
}

/** Runs fn in a transaction under row-level security as the given user. */
export async function withUser<T>(db: Db, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const routing = readRoutingOf(db)
  if (!routing) return runAsUser(db, claims, fn)
  // With a replica, remember where this user's writes end so their next reads can wait for it.
  let wrote = false
  const result = await db.transaction().execute(async (tx) => {
    await asUser(tx, claims)
    const out = await fn(tx)
    const { rows } = await sql<{ wrote: boolean }>`select pg_current_xact_id_if_assigned() is not null as wrote`.execute(tx)
    wrote = rows[0].wrote
    return out
  })
  if (wrote) await routing.noteWrite(userKey(claims))
  return result
}

function runAsUser<T>(db: Db, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await asUser(tx, claims)
    return fn(tx)
  })
}

/** Read only: Postgres refuses a write, and the driver need not wait for the COMMIT. */
function readAsUser<T>(db: Db, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (tx) => {
      await asUser(tx, claims)
      return fn(tx)
    })
}

const userKey = (claims: Claims) => `${claims.app}:${claims.sub}`

/**
 * A read that tolerates replica lag, under row-level security as the given user: on the replica
 * (DATABASE_READ_URL) unless this user's own last write has not reached it yet, then on the
 * primary. Without a replica it reads the primary. A read-only transaction: fn cannot write.
 */
export async function withUserRead<T>(platform: Pick<Platform, 'db'>, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const routing = readRoutingOf(platform.db.kysely)
  if (!routing) return readAsUser(platform.db.kysely, claims, fn)
  const target = await pickReader(routing, claims)
  if (target === routing.primary) return readAsUser(target, claims, fn)
  try {
    return await readAsUser(target, claims, fn)
  } catch (err) {
    // A replica that is down or restarting must not fail reads the primary can serve.
    if (!isConnectionError(err)) throw err
    return readAsUser(routing.primary, claims, fn)
  }
}

async function pickReader(routing: ReadRouting, claims: Claims): Promise<Db> {
  try {
    return (await routing.readerFor(userKey(claims))).db
  } catch {
    return routing.primary
  }
}

function isConnectionError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string')
    return code.startsWith('08') || code.startsWith('57P') || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)
  return typeof message === 'string' && /connection terminated|timeout exceeded when trying to connect/i.test(message)
}
