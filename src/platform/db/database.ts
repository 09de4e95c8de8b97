// One Kysely instance over either embedded PGlite or a pg Pool. PGlite speaks to node-postgres
// through its own connection adapter, so the same pg.Pool, Kysely dialect and SQL serve both.
import path from 'node:path'
import fs from 'node:fs'
import pg from 'pg'
import { CamelCasePlugin, Kysely, sql, type Transaction } from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import type { Config } from '../config'
import { MatchbaseDialect } from './pg-driver'
import type { DB } from './schema.generated'
import { observeQuery } from '../ops/monitoring/metrics'

// Timestamps come back as Date and bigints (counts, sums) as numbers; both fit JS.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v))

/** The tables of every Matchbase schema, generated from the migrations (npm run db:types). */
export type Db = Kysely<DB>
export type Tx = Transaction<DB>
export type Executor = Db | Tx

export interface Database {
  kysely: Db
  /** Reads that tolerate replica lag; the primary when no replica is configured. */
  reader: Db
  pool: pg.Pool
  driver: 'pglite' | 'postgres'
  /** Subscribe to NOTIFY on a channel; returns an unsubscribe function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
  /** The embedded instance, for dump/restore in tests and ops. */
  pglite?: PGlite
}

export interface OpenOptions {
  /** Overrides config.DATABASE_URL (tests pass a per-file database). */
  url?: string
  /** Overrides config.DATABASE_DIRECT_URL, the session used for LISTEN; defaults to url when url is given. */
  directUrl?: string
  /** PGlite data directory, or 'memory://' for a throwaway database. */
  dataDir?: string
  /** Start PGlite from a dump made by pglite.dumpDataDir(). */
  loadDataDir?: Blob
}

export async function openDatabase(config: Config, opts: OpenOptions = {}): Promise<Database> {
  const url = opts.url ?? config.DATABASE_URL
  if (!url) return openEmbedded(config, opts)
  const directUrl = opts.directUrl ?? (opts.url ? opts.url : (config.DATABASE_DIRECT_URL ?? url))
  return openServer(config, url, directUrl)
}

function kyselyOver(pool: pg.Pool): Db {
  // MatchbaseDialect: Kysely's Postgres dialect, BEGIN sent with a transaction's first statement.
  // log: each statement's duration goes to a histogram by route (ops/monitoring/metrics.ts).
  return new Kysely<DB>({ dialect: new MatchbaseDialect(pool), plugins: [new CamelCasePlugin()], log: observeQuery })
}

// The pool listens for 'error' on idle clients only. A client checked out between two statements
// (inside a transaction) that loses its server - crash, restart, pg_terminate_backend - emits
// 'error' with no listener, an uncaught exception that would end the process. Its work fails on
// its own (the next statement rejects: a 503 'unavailable') and the pool drops it on release.
function keepCheckedOutClientsAlive(pool: pg.Pool) {
  pool.on('connect', (client) => client.on('error', () => {}))
}

async function openServer(config: Config, url: string, directUrl: string): Promise<Database> {
  const poolConfig = (connectionString: string): pg.PoolConfig => ({
    connectionString,
    max: config.DATABASE_POOL_MAX,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    // The server enforces statement_timeout; this client-side bound also ends a query whose server
    // stopped answering without closing the connection (a partition, a frozen host).
    query_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS + 5_000,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  })
  const pool = new pg.Pool(poolConfig(url))
  // A pool emits 'error' when an idle client loses its server; without a listener Node exits.
  pool.on('error', () => {})
  keepCheckedOutClientsAlive(pool)
  const kysely = kyselyOver(pool)
  let readPool: pg.Pool | undefined
  let reader = kysely
  if (config.DATABASE_READ_URL && !config.DATABASE_READ_URL.startsWith(url)) {
    readPool = new pg.Pool(poolConfig(config.DATABASE_READ_URL))
    readPool.on('error', () => {})
    keepCheckedOutClientsAlive(readPool)
    reader = kyselyOver(readPool)
  }
  const listeners = new Map<string, Set<(p: string) => void>>()
  let listenClient: pg.Client | undefined
  let closed = false
  let reconnectDelay = 250

  async function ensureListenClient() {
    if (listenClient) return listenClient
    // LISTEN needs a session of its own: a transaction pooler (PgBouncer) hands the server
    // connection to someone else after each transaction, so this one goes to the server directly.
    const client = new pg.Client({ connectionString: directUrl })
    const lost = () => {
      if (listenClient !== client) return
      listenClient = undefined
      scheduleReconnect()
    }
    client.on('error', lost)
    client.on('end', lost)
    client.on('notification', (msg) => {
      for (const fn of listeners.get(msg.channel) ?? []) fn(msg.payload ?? '')
    })
    await client.connect()
    for (const channel of listeners.keys()) await client.query(`listen ${pg.escapeIdentifier(channel)}`)
    listenClient = client
    reconnectDelay = 250
    return client
  }

  // Subscribers must not go silent when the server restarts: reconnect with backoff and LISTEN again.
  function scheduleReconnect() {
    if (closed || listeners.size === 0) return
    setTimeout(() => {
      ensureListenClient().catch(() => {
        reconnectDelay = Math.min(reconnectDelay * 2, 5_000)
        scheduleReconnect()
      })
    }, reconnectDelay).unref()
  }

  return {
    kysely,
    reader,
    pool,
    driver: 'postgres',
    async listen(channel, onMessage) {
      let set = listeners.get(channel)
      const client = await ensureListenClient()
      if (!set) {
        set = new Set()
        listeners.set(channel, set)
        await client.query(`listen ${pg.escapeIdentifier(channel)}`)
      }
      set.add(onMessage)
      return async () => {
        set!.delete(onMessage)
        if (set!.size === 0) {
          listeners.delete(channel)
          await listenClient?.query(`unlisten ${pg.escapeIdentifier(channel)}`).catch(() => {})
        }
      }
    },
    async close() {
      closed = true
      const client = listenClient
      listenClient = undefined
      await client?.end().catch(() => {})
      await kysely.destroy()
      if (readPool) await reader.destroy()
    },
  }
}

async function openEmbedded(config: Config, opts: OpenOptions): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { cube } = await import('@electric-sql/pglite/contrib/cube')
  const { earthdistance } = await import('@electric-sql/pglite/contrib/earthdistance')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const { citext } = await import('@electric-sql/pglite/contrib/citext')
  const { pgcrypto } = await import('@electric-sql/pglite/contrib/pgcrypto')
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')

  let dataDir = opts.dataDir ?? config.DATA_DIR
  if (!dataDir.startsWith('memory://')) {
    dataDir = path.resolve(dataDir, 'pglite')
    fs.mkdirSync(dataDir, { recursive: true })
  }
  const pglite = await PGlite.create({
    dataDir,
    loadDataDir: opts.loadDataDir,
    extensions: { cube, earthdistance, pg_trgm, citext, pgcrypto },
  })
  // PGlite is a single session: a pool of one connection serialises transactions correctly.
  const pool = new pg.Pool({ ...(createPgConfig(pglite) as unknown as pg.PoolConfig), max: 1 })
  const kysely = kyselyOver(pool)
  return {
    kysely,
    reader: kysely,
    pool,
    driver: 'pglite',
    pglite,
    async listen(channel, onMessage) {
      const unsub = await pglite.listen(channel, onMessage)
      return async () => unsub()
    },
    async close() {
      await kysely.destroy()
      await pglite.close()
    },
  }
}

/** Runs fn in a transaction on the owner role (system and admin work). */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn)
}

export { sql }
