// Sessions that end before their access tokens expire (docs/decisions/0019-session-revocation.md).
// An access token is checked on every request with no I/O: each API instance holds the revocation
// list in memory. Two kinds of entries: a session (sid = refresh-token family: logout, reuse) and
// "user U of app A: tokens issued before T" (deletion, disabling, role removal). Entries are rows
// of platform.session_revocations (a restart or a new instance loads them), broadcast to every
// instance when written (Redis pub/sub when REDIS_URL is set, else Postgres NOTIFY, which PGlite
// delivers in process), and reloaded every few seconds as the safety net for a missed message.
// A row lives until the last token it refuses has expired anyway.
import { sql } from 'kysely'
import type { Redis } from 'ioredis'
import type { Platform } from '../platform'
import type { Executor } from '../db/database'
import type { Claims } from '../db/with-user'

export const REVOCATION_CHANNEL = 'matchbase_revocations'
/** Tokens are checked against the signing instance's clock; a little slack for clocks apart. */
const CLOCK_SLACK_MS = 60_000

export type RevocationKind = 'session' | 'user'

interface Entry {
  app: string
  kind: RevocationKind
  subject: string
  /** ms: for 'user', tokens issued before this are refused. */
  before: number
  /** ms: after this no token the entry refuses can still be valid. */
  expires: number
}

export interface SessionRevocations {
  /** Refuses every access token of this session (sid) from now on, on every instance. */
  endSession(app: string, sessionId: string, db?: Executor): Promise<void>
  /** Refuses every access token of the user issued up to now, on every instance. */
  endUser(app: string, userId: string, db?: Executor): Promise<void>
  /** Why these verified claims are refused, or undefined: memory only, no I/O. */
  refusal(claims: Claims): string | undefined
  /** Called after entries arrive (written here, broadcast, or found by a reload). */
  onRevoke(fn: () => void): () => void
  /** Loads the list and starts listening and reloading; the HTTP server calls it. */
  start(): Promise<void>
  stop(): Promise<void>
  /** Replaces the list with the stored one (plus entries heard just now). */
  reload(): Promise<void>
  /** Entries held in memory. */
  size(): number
}

const keyOf = (app: string, subject: string) => `${app}\u0000${subject}`

export function createRevocations(platform: Pick<Platform, 'db' | 'clock' | 'config' | 'log' | 'redis'>): SessionRevocations {
  const keepMs = platform.config.JWT_TTL_SECONDS * 1000 + CLOCK_SLACK_MS
  const reloadMs = platform.config.SESSION_REVOCATION_RELOAD_SECONDS * 1000
  const redisChannel = `${platform.config.REDIS_KEY_PREFIX}${REVOCATION_CHANNEL}`
  let sessions = new Map<string, number>()
  let users = new Map<string, { before: number; expires: number }>()
  // Entries written or heard lately survive a reload whose snapshot was taken before they committed.
  let recent: { entry: Entry; at: number }[] = []
  const listeners = new Set<() => void>()
  let timer: NodeJS.Timeout | undefined
  let unlisten: (() => Promise<void>) | undefined
  let subscriber: Redis | undefined
  let started = false

  function put(e: Entry, s: typeof sessions, u: typeof users): boolean {
    const k = keyOf(e.app, e.subject)
    if (e.kind === 'session') {
      const had = s.get(k)
      s.set(k, Math.max(had ?? 0, e.expires))
      return had === undefined
    }
    const had = u.get(k)
    if (had && had.before >= e.before) return false
    u.set(k, { before: e.before, expires: Math.max(had?.expires ?? 0, e.expires) })
    return true
  }

  function changed() {
    for (const fn of listeners) {
      try {
        fn()
      } catch (err) {
        platform.log.warn({ err }, 'session revocation listener failed')
      }
    }
  }

  function apply(e: Entry) {
    recent.push({ entry: e, at: Date.now() })
    put(e, sessions, users)
    changed()
  }

  function receive(payload: string) {
    try {
      const e = JSON.parse(payload) as Entry
      const ok =
        typeof e.app === 'string' &&
        (e.kind === 'session' || e.kind === 'user') &&
        typeof e.subject === 'string' &&
        Number.isFinite(e.before) &&
        Number.isFinite(e.expires)
      if (!ok) throw new Error('bad shape')
      apply({ app: e.app, kind: e.kind, subject: e.subject, before: e.before, expires: e.expires })
    } catch {
      platform.log.warn({ payload: payload.slice(0, 200) }, 'unreadable session revocation message')
    }
  }

  async function revoke(kind: RevocationKind, app: string, subject: string, db: Executor = platform.db.kysely) {
    const at = platform.clock.now()
    const entry: Entry = { app, kind, subject, before: at.getTime(), expires: at.getTime() + keepMs }
    await db
      .insertInto('platform.sessionRevocations')
      .values({ app, kind, subject, revokedBefore: at, expiresAt: new Date(entry.expires) })
      .onConflict((oc) =>
        oc.columns(['app', 'kind', 'subject']).doUpdateSet({
          revokedBefore: sql`greatest(platform.session_revocations.revoked_before, excluded.revoked_before)`,
          expiresAt: sql`greatest(platform.session_revocations.expires_at, excluded.expires_at)`,
        }),
      )
      .execute()
    const payload = JSON.stringify(entry)
    // In db's transaction: the other instances hear it when (and only if) it commits.
    if (!platform.redis) await sql`select pg_notify(${REVOCATION_CHANNEL}, ${payload})`.execute(db)
    // This instance refuses at once, even before a surrounding transaction commits: refusing a
    // little early is safe, and the next reload drops an entry whose transaction rolled back.
    apply(entry)
    if (platform.redis)
      await platform.redis.publish(redisChannel, payload).catch((err) => platform.log.warn({ err }, 'session revocation not published'))
  }

  async function reload() {
    const startedAt = Date.now()
    const now = platform.clock.now()
    const rows = await platform.db.kysely
      .selectFrom('platform.sessionRevocations')
      .select(['app', 'kind', 'subject', 'revokedBefore', 'expiresAt'])
      .where('expiresAt', '>', now)
      .execute()
    const s = new Map<string, number>()
    const u = new Map<string, { before: number; expires: number }>()
    let added = false
    for (const r of rows) {
      const e: Entry = {
        app: r.app,
        kind: r.kind as RevocationKind,
        subject: r.subject,
        before: new Date(r.revokedBefore).getTime(),
        expires: new Date(r.expiresAt).getTime(),
      }
      put(e, s, u)
      // New to this instance (a missed message, or written by another program): tell listeners.
      const k = keyOf(e.app, e.subject)
      if (e.kind === 'session' ? !sessions.has(k) : (users.get(k)?.before ?? -1) < e.before) added = true
    }
    recent = recent.filter((r) => r.at >= startedAt - 2 * reloadMs && r.entry.expires > now.getTime())
    for (const r of recent) put(r.entry, s, u)
    sessions = s
    users = u
    if (added) changed()
  }

  async function listen() {
    const db = platform.db
    if (db.driver !== 'pglite') return db.listen(REVOCATION_CHANNEL, receive)
    // PGlite has one session: hold it so the LISTEN runs between transactions (see notifier.ts).
    const client = await db.pool.connect()
    try {
      return await db.listen(REVOCATION_CHANNEL, receive)
    } finally {
      client.release()
    }
  }

  return {
    endSession: (app, sessionId, db) => revoke('session', app, sessionId, db),
    endUser: (app, userId, db) => revoke('user', app, userId, db),

    refusal(claims) {
      const app = claims.app
      if (typeof claims.sid === 'string' && sessions.has(keyOf(app, claims.sid))) return 'This session has ended; sign in again'
      const cut = users.get(keyOf(app, claims.sub))
      // iat has whole seconds: a token from the revocation's own second is refused too (safe side).
      if (cut && (typeof claims.iat !== 'number' || claims.iat < Math.ceil(cut.before / 1000)))
        return "This account's sessions have been ended; sign in again"
      return undefined
    },

    onRevoke(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },

    async start() {
      if (started) return
      started = true
      try {
        await reload()
      } catch (err) {
        platform.log.warn({ err }, 'session revocations not loaded; retrying')
      }
      timer = setInterval(() => {
        reload().catch((err) => platform.log.warn({ err }, 'session revocation reload failed'))
      }, reloadMs)
      timer.unref()
      try {
        if (platform.redis) {
          const sub = platform.redis.duplicate()
          subscriber = sub
          sub.on('error', (err) => platform.log.warn({ err }, 'redis (revocations) error'))
          sub.on('message', (_channel: string, message: string) => receive(message))
          await sub.subscribe(redisChannel)
        } else unlisten = await listen()
      } catch (err) {
        platform.log.warn({ err }, 'session revocations: broadcast not received; relying on the reload')
      }
    },

    async stop() {
      if (!started) return
      started = false
      clearInterval(timer)
      subscriber?.disconnect()
      subscriber = undefined
      await unlisten?.().catch(() => {})
      unlisten = undefined
    },

    reload,
    size: () => sessions.size + users.size,
  }
}
