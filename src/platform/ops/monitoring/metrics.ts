// Operator metrics beyond request durations: database query time per route, pool usage and waits,
// Postgres cache hit ratios, job lag, replication lag, database size, connections and disk.
// The request path only observes a histogram per query (Kysely's log hook) and tags its route once;
// everything read from the database is read when Prometheus scrapes, through one snapshot shared by
// all gauges and cached for SNAPSHOT_TTL_MS, so a burst of scrapes costs one set of queries.
import fs from 'node:fs'
import path from 'node:path'
import client from 'prom-client'
import { sql, type LogEvent } from 'kysely'
import type { Platform } from '../../platform'
import type { Db } from '../../db/database'

const SNAPSHOT_TTL_MS = 5_000

export const queryDuration = new client.Histogram({
  name: 'matchbase_db_query_duration_seconds',
  // Not labelled by route: knowing the route at the driver would need AsyncLocalStorage, whose
  // promise hooks cost every request (docs/benchmarks.md, "The request path"). Time per route is
  // matchbase_http_request_duration_seconds.
  help: 'Database statement time, every statement (requests, jobs, the CLI)',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
})

/** Kysely's log hook: one histogram observe per statement. */
export function observeQuery(event: LogEvent): void {
  queryDuration.observe({ outcome: event.level === 'error' ? 'error' : 'ok' }, event.queryDurationMillis / 1000)
}

export interface DatabaseSnapshot {
  database: string
  sizeBytes: number
  connections: number
  maxConnections: number
  longestQuerySeconds: number
  /** Buffer cache hit ratio of heap and index reads, 0..1 (NaN before any read). */
  heapHitRatio: number
  indexHitRatio: number
  /** Seconds the oldest due job of each queue has waited (0 when none waits). */
  jobLag: Map<string, number>
  /** Seconds the replica is behind the primary; undefined without a replica. */
  replicationLagSeconds?: number
  replicaReachable?: boolean
}

/** Reads every database-side figure in a few statements; the scrape calls it at most once per TTL. */
export async function readDatabaseSnapshot(db: Db, reader?: Db): Promise<DatabaseSnapshot> {
  const { rows } = await sql<{
    database: string
    sizeBytes: number
    connections: number
    maxConnections: number
    longestQuerySeconds: number | null
    heapHit: number | null
    heapRead: number | null
    idxHit: number | null
    idxRead: number | null
    hasBoss: boolean
  }>`
    select current_database() as database, pg_database_size(current_database()) as size_bytes,
      (select count(*)::int from pg_stat_activity) as connections,
      current_setting('max_connections')::int as max_connections,
      (select extract(epoch from max(clock_timestamp() - query_start))::float8 from pg_stat_activity
        where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend') as longest_query_seconds,
      (select sum(heap_blks_hit)::float8 from pg_statio_all_tables) as heap_hit,
      (select sum(heap_blks_read)::float8 from pg_statio_all_tables) as heap_read,
      (select sum(idx_blks_hit)::float8 from pg_statio_all_indexes) as idx_hit,
      (select sum(idx_blks_read)::float8 from pg_statio_all_indexes) as idx_read,
      to_regclass('pgboss.job') is not null as has_boss`.execute(db)
  const r = rows[0]
  const ratio = (hit: number | null, read: number | null) =>
    (hit ?? 0) + (read ?? 0) > 0 ? (hit ?? 0) / ((hit ?? 0) + (read ?? 0)) : Number.NaN
  const jobLag = new Map<string, number>()
  if (r.hasBoss) {
    // pg-boss 10: a job is due once start_after has passed; 'retry' jobs wait for their next try.
    const lag = await sql<{ name: string; lagSeconds: number }>`
      select name, coalesce(extract(epoch from max(now() - start_after)) filter (where start_after <= now()), 0)::float8 as lag_seconds
      from pgboss.job where state in ('created', 'retry') group by name`.execute(db)
    for (const l of lag.rows) jobLag.set(l.name, l.lagSeconds)
  }
  const snapshot: DatabaseSnapshot = {
    database: r.database,
    sizeBytes: r.sizeBytes,
    connections: r.connections,
    maxConnections: r.maxConnections,
    longestQuerySeconds: r.longestQuerySeconds ?? 0,
    heapHitRatio: ratio(r.heapHit, r.heapRead),
    indexHitRatio: ratio(r.idxHit, r.idxRead),
    jobLag,
  }
  if (reader && reader !== db) {
    try {
      // Time since the last replayed transaction, and 0 when the replica has replayed all it received
      // (an idle primary sends nothing new, which is not lag).
      const lag = await sql<{ lag: number | null }>`
        select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
          else extract(epoch from now() - pg_last_xact_replay_timestamp()) end::float8 as lag`.execute(reader)
      snapshot.replicationLagSeconds = lag.rows[0].lag ?? 0
      snapshot.replicaReachable = true
    } catch {
      snapshot.replicaReachable = false
    }
  }
  return snapshot
}

/** Free and total bytes of the file system holding `dir` (the embedded data folder, or files). */
export function diskUsage(dir: string): { freeBytes: number; totalBytes: number } | undefined {
  try {
    let at = path.resolve(dir)
    while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at)
    const s = fs.statfsSync(at)
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }
  } catch {
    return undefined
  }
}

interface Source {
  platform: Platform
  cached?: { at: number; value: Promise<DatabaseSnapshot> }
}
let source: Source | undefined

/** The snapshot for this scrape: cached for SNAPSHOT_TTL_MS, undefined when no database is watched. */
async function snapshot(): Promise<DatabaseSnapshot | undefined> {
  const s = source
  if (!s) return undefined
  const now = Date.now()
  if (!s.cached || now - s.cached.at > SNAPSHOT_TTL_MS) {
    const value = readDatabaseSnapshot(s.platform.db.kysely, s.platform.db.reader)
    s.cached = { at: now, value }
    // A failed read is not cached: the next scrape tries again.
    value.catch(() => {
      if (s.cached?.value === value) s.cached = undefined
    })
  }
  try {
    return await s.cached.value
  } catch (err) {
    s.platform.log.warn({ err }, 'metrics: database figures not readable')
    scrapeErrors.inc()
    return undefined
  }
}

const scrapeErrors = new client.Counter({
  name: 'matchbase_metrics_scrape_errors_total',
  help: 'Scrapes whose database figures could not be read',
})

// Each gauge's collect resets it first, so a figure that cannot be read is absent, not stale. Every
// one carries the database label: prom-client would print an unlabelled gauge as 0 after a reset,
// and a made-up 0 fires alerts (or hides them).
function gauge(name: string, help: string, labelNames: string[], fill: (g: client.Gauge<string>, s: DatabaseSnapshot) => void) {
  return new client.Gauge({
    name,
    help,
    labelNames: ['database', ...labelNames],
    async collect() {
      this.reset()
      const s = await snapshot()
      if (s) fill(this, s)
    },
  })
}

gauge('matchbase_db_size_bytes', 'Size of the database on disk', [], (g, s) => g.set({ database: s.database }, s.sizeBytes))
gauge('matchbase_db_connections', 'Server connections (all clients, from pg_stat_activity)', [], (g, s) =>
  g.set({ database: s.database }, s.connections),
)
gauge('matchbase_db_max_connections', 'The server setting max_connections', [], (g, s) => g.set({ database: s.database }, s.maxConnections))
gauge('matchbase_db_longest_query_seconds', 'Age of the longest-running active statement', [], (g, s) =>
  g.set({ database: s.database }, s.longestQuerySeconds),
)
gauge('matchbase_db_cache_hit_ratio', 'Share of block reads served from shared buffers', ['kind'], (g, s) => {
  if (!Number.isNaN(s.heapHitRatio)) g.set({ database: s.database, kind: 'table' }, s.heapHitRatio)
  if (!Number.isNaN(s.indexHitRatio)) g.set({ database: s.database, kind: 'index' }, s.indexHitRatio)
})
gauge('matchbase_job_lag_seconds', 'How long the oldest due job of each queue has waited', ['queue'], (g, s) => {
  for (const [queue, lag] of s.jobLag) g.set({ database: s.database, queue }, lag)
})
gauge('matchbase_db_replication_lag_seconds', 'How far the read replica is behind (present only with DATABASE_READ_URL)', [], (g, s) => {
  if (s.replicationLagSeconds !== undefined) g.set({ database: s.database }, s.replicationLagSeconds)
})
gauge('matchbase_db_replica_up', '1 when the read replica answers (present only with DATABASE_READ_URL)', [], (g, s) => {
  if (s.replicaReachable !== undefined) g.set({ database: s.database }, s.replicaReachable ? 1 : 0)
})

// Pool figures are in memory: no I/O, read on scrape.
new client.Gauge({
  name: 'matchbase_db_pool_connections',
  help: 'Connections of the API pool by state (idle, busy) and requests waiting for one',
  labelNames: ['state'],
  collect() {
    this.reset()
    const pool = source?.platform.db.pool
    if (!pool) return
    this.set({ state: 'idle' }, pool.idleCount)
    this.set({ state: 'busy' }, pool.totalCount - pool.idleCount)
    this.set({ state: 'waiting' }, pool.waitingCount)
  },
})
new client.Gauge({
  name: 'matchbase_db_pool_max',
  help: 'Largest size of the API pool (DATABASE_POOL_MAX; 1 on embedded PGlite)',
  collect() {
    this.reset()
    const db = source?.platform.db
    if (db) this.set((db.pool.options as { max?: number }).max ?? 10)
  },
})
new client.Gauge({
  name: 'matchbase_disk_free_ratio',
  help: 'Free share of the file system holding DATA_DIR (embedded database, local files)',
  labelNames: ['dir'],
  collect() {
    this.reset()
    const config = source?.platform.config
    if (!config) return
    const disk = diskUsage(config.DATA_DIR)
    if (disk && disk.totalBytes > 0) this.set({ dir: config.DATA_DIR }, disk.freeBytes / disk.totalBytes)
  },
})

/**
 * Points the database gauges at this platform (the one the HTTP server serves). Returns a function
 * that stops watching it, called when the server closes.
 */
export function watchDatabase(platform: Platform): () => void {
  const mine: Source = { platform }
  source = mine
  return () => {
    if (source === mine) source = undefined
  }
}
