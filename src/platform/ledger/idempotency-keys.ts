// Storage for Idempotency-Key claims and the first response (platform.idempotency_keys, owner role).
// One row per (scope, key): 'running' while the first request runs, 'done' with its response after.
import { sql } from 'kysely'
import type { Executor } from '../db/database'

export interface Claim {
  scope: string
  key: string
  requestHash: string
  /** When the claim was taken: tells this claim from a later one that took over after its lease ran out. */
  claimedAt: Date
}

export interface StoredResponse {
  status: number
  contentType: string
  /** The response body exactly as first sent, so a replay is byte-identical. */
  body: string
}

export interface IdempotencyRecord {
  requestHash: string
  status: 'running' | 'done'
  response?: StoredResponse
}

/**
 * Claims the key for a new request: inserts it, or takes over a row whose time is up (expired
 * keys count as absent). Returns false when a live row holds the key; read it with findLive.
 */
export async function tryClaim(db: Executor, c: Claim & { leaseUntil: Date }): Promise<boolean> {
  const { rows } = await sql`
    insert into platform.idempotency_keys as k (scope, key, request_hash, status, created_at, expires_at)
    values (${c.scope}, ${c.key}, ${c.requestHash}, 'running', ${c.claimedAt}, ${c.leaseUntil})
    on conflict (scope, key) do update
      set request_hash = excluded.request_hash, status = 'running', response_status = null, response_body = null,
          created_at = excluded.created_at, expires_at = excluded.expires_at
      where k.expires_at <= excluded.created_at
    returning 1 as claimed`.execute(db)
  return rows.length === 1
}

export async function findLive(db: Executor, scope: string, key: string, now: Date): Promise<IdempotencyRecord | undefined> {
  const { rows } = await sql<{
    requestHash: string
    status: 'running' | 'done'
    responseStatus: number | null
    responseBody: { contentType: string; body: string } | null
  }>`
    select request_hash, status, response_status, response_body
    from platform.idempotency_keys
    where scope = ${scope} and key = ${key} and expires_at > ${now}`.execute(db)
  const r = rows[0]
  if (!r) return undefined
  return {
    requestHash: r.requestHash,
    status: r.status,
    response:
      r.status === 'done' && r.responseStatus !== null && r.responseBody
        ? { status: r.responseStatus, contentType: r.responseBody.contentType, body: r.responseBody.body }
        : undefined,
  }
}

/** Stores the first response; only the claim that still holds the key may. */
export async function complete(db: Executor, c: Claim & { response: StoredResponse; expiresAt: Date }) {
  await sql`
    update platform.idempotency_keys
    set status = 'done', response_status = ${c.response.status},
        response_body = ${JSON.stringify({ contentType: c.response.contentType, body: c.response.body })}::jsonb,
        expires_at = ${c.expiresAt}
    where scope = ${c.scope} and key = ${c.key} and request_hash = ${c.requestHash} and status = 'running'
      and created_at = ${c.claimedAt}`.execute(db)
}

/** Lets a retry run again (the first attempt ended in a server error). */
export async function release(db: Executor, c: Claim) {
  await sql`
    delete from platform.idempotency_keys
    where scope = ${c.scope} and key = ${c.key} and request_hash = ${c.requestHash} and status = 'running'
      and created_at = ${c.claimedAt}`.execute(db)
}

/** Deletes expired keys (they already count as absent); for a cleanup job. Returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Executor, now: Date): Promise<number> {
  const r = await sql`delete from platform.idempotency_keys where expires_at <= ${now}`.execute(db)
  return Number(r.numAffectedRows ?? 0)
}
