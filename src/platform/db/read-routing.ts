// Replica reads with read-your-writes. When DATABASE_READ_URL names a streaming replica, a user's
// lag-tolerant reads go there - unless that user has just written: after a user's write transaction
// commits we remember the primary's WAL position (in process memory, and in Redis when REDIS_URL is
// set so every API instance knows), and that user's reads stay on the primary until the replica has
// replayed up to it. Other users' writes may still be a moment behind on the replica; that is the lag
// the caller accepted by choosing a lag-tolerant read.
import { sql } from 'kysely'
import type { Redis } from 'ioredis'
import type { Database, Db } from './database'

/** How long a user's write position is remembered; a replica further behind than this is broken. */
export const WRITE_MEMORY_SECONDS = 300
/** How long a fetched replay position is trusted before asking the replica again. */
const REPLAY_CACHE_MS = 50

// Keep the larger of the stored and the new position, atomically across instances.
const KEEP_MAX = `local cur = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1`

export interface ReadRouting {
  primary: Db
  replica: Db
  /** Records the primary's current WAL position as this user's last write; call after commit. */
  noteWrite(userKey: string): Promise<void>
  /** The replica when it has replayed this user's last write, else the primary. */
  readerFor(userKey: string): Promise<{ db: Db; target: 'replica' | 'primary' }>
}

const routings = new WeakMap<Db, ReadRouting>()

/** The routing set up for this primary, when a replica is configured. */
export function readRoutingOf(primary: Db): ReadRouting | undefined {
  return routings.get(primary)
}

/** Turns on replica routing for a database opened with a distinct reader; a no-op without one. */
export function enableReadRouting(db: Database, redis?: Redis): ReadRouting | undefined {
  if (db.reader === db.kysely) return undefined
  const existing = routings.get(db.kysely)
  if (existing) return existing
  const writes = new Map<string, { lsn: number; at: number }>()
  let replay = { lsn: -1, at: 0 }
  const redisKey = (userKey: string) => `ryw:${userKey}`

  async function replayedLsn(): Promise<number> {
    if (Date.now() - replay.at < REPLAY_CACHE_MS) return replay.lsn
    // pg_last_wal_replay_lsn() is null on a server that is not in recovery (a promoted replica):
    // then it holds everything it has, so report "infinitely far".
    const { rows } = await sql<{ lsn: string | null; recovering: boolean }>`
      select (pg_last_wal_replay_lsn() - '0/0')::text as lsn, pg_is_in_recovery() as recovering`.execute(db.reader)
    const lsn = rows[0].recovering ? Number(rows[0].lsn ?? -1) : Number.MAX_SAFE_INTEGER
    replay = { lsn, at: Date.now() }
    return lsn
  }

  async function lastWrite(userKey: string): Promise<number | undefined> {
    const local = writes.get(userKey)
    if (local && Date.now() - local.at > WRITE_MEMORY_SECONDS * 1000) writes.delete(userKey)
    let lsn = writes.get(userKey)?.lsn
    if (redis) {
      const shared = await redis.get(redisKey(userKey))
      if (shared !== null) lsn = Math.max(lsn ?? 0, Number(shared))
    }
    return lsn
  }

  const routing: ReadRouting = {
    primary: db.kysely,
    replica: db.reader,
    // Called after the write committed, so it must not fail the request: when the position cannot
    // be read, this instance sends the user's reads to the primary until the memory expires.
    async noteWrite(userKey) {
      let lsn = Number.MAX_SAFE_INTEGER
      try {
        const { rows } = await sql<{ lsn: string }>`select (pg_current_wal_lsn() - '0/0')::text as lsn`.execute(db.kysely)
        lsn = Number(rows[0].lsn)
      } catch {
        // Keep the pessimistic position.
      }
      const prev = writes.get(userKey)
      writes.set(userKey, { lsn: Math.max(lsn, prev?.lsn ?? 0), at: Date.now() })
      if (redis && lsn !== Number.MAX_SAFE_INTEGER)
        await redis.eval(KEEP_MAX, 1, redisKey(userKey), String(lsn), String(WRITE_MEMORY_SECONDS)).catch(() => {
          // Other instances may then serve this user a lagging read; this one will not.
        })
    },
    async readerFor(userKey) {
      const needed = await lastWrite(userKey)
      if (needed === undefined) return { db: db.reader, target: 'replica' }
      if (replay.lsn >= needed || (await replayedLsn()) >= needed) {
        // Caught up: this user's later reads need no check until they write again.
        if (writes.get(userKey)?.lsn === needed) writes.delete(userKey)
        return { db: db.reader, target: 'replica' }
      }
      return { db: db.kysely, target: 'primary' }
    },
  }
  routings.set(db.kysely, routing)
  return routing
}
