// Server-sent events: one long response per client, fed by the notifier's subscriptions. A stream
// lives no longer than the access token it was opened with: it ends when the token expires and
// when its session or user is revoked (auth/revocations.ts), and a user holds a bounded number.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Http } from '../app'
import type { Platform } from '../platform'
import type { Claims } from '../db/with-user'
import { AppError } from '../http/errors'
import type { RealtimeEvent } from './types'

/** Proxies and load balancers drop connections that stay silent; a comment keeps them open. */
export const HEARTBEAT_MS = 15_000
/** How long a browser's EventSource waits before reconnecting. */
const RETRY_MS = 3_000
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The stream routes' shared rules, for their OpenAPI descriptions. */
export const streamRules = (platform: Platform) =>
  `The stream ends when the access token expires or its session ends (logout, account deleted, role removed): a last ` +
  'event `session.ended` with `{ "reason": "expired" | "revoked" }` comes first; reconnect with a fresh token. ' +
  `At most ${platform.config.EVENT_STREAMS_PER_USER} streams per user are open at once (EVENT_STREAMS_PER_USER); ` +
  'one more answers 429 `rate_limited` until one closes.'

export interface EventStreams {
  /**
   * Streams the user's realtime events until the client goes away, the server closes, or the
   * access token (req.claims, when the route is guarded) expires or is revoked.
   */
  open(req: FastifyRequest, reply: FastifyReply, who: { app: string; userId: string }): Promise<void>
  /** Streams open now. */
  count(): number
}

/** Call while registering routes: the server's close ends open streams instead of waiting on them. */
export function eventStreams(http: Http, platform: Platform, opts: { heartbeatMs?: number } = {}): EventStreams {
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS
  const perUser = platform.config.EVENT_STREAMS_PER_USER
  const live = new Map<(reason?: 'expired' | 'revoked') => void, Claims | undefined>()
  const perUserCount = new Map<string, number>()
  // Whenever a revocation arrives, streams whose token it refuses end.
  const stopWatching = platform.revocations.onRevoke(() => {
    for (const [end, claims] of [...live]) if (claims && platform.revocations.refusal(claims)) end('revoked')
  })
  http.addHook('preClose', async () => {
    stopWatching()
    for (const end of [...live.keys()]) end()
  })

  return {
    count: () => live.size,
    async open(req, reply, { app, userId }) {
      const claims = (req.claims as Claims | null) ?? undefined
      const who = `${app}\u0000${userId}`
      const held = perUserCount.get(who) ?? 0
      if (held >= perUser)
        throw new AppError('rate_limited', `At most ${perUser} event streams per user may be open at once; close one first`, {
          limit: perUser,
        })
      perUserCount.set(who, held + 1)
      const release = () => {
        const n = (perUserCount.get(who) ?? 1) - 1
        if (n > 0) perUserCount.set(who, n)
        else perUserCount.delete(who)
      }
      let send: (e: RealtimeEvent) => void = () => {}
      let unsubscribe: () => Promise<void>
      try {
        // Subscribe before taking over the response, so a failure still leaves as a JSON error.
        unsubscribe = await platform.notify.subscribe(app, userId, (e) => send(e))
      } catch (err) {
        release()
        throw err
      }
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      })
      res.write(`retry: ${RETRY_MS}\n: connected\n\n`)
      let seq = 0
      send = (e) => {
        const name = e.type.replace(/[\r\n]/g, ' ')
        res.write(`id: ${++seq}\nevent: ${name}\ndata: ${JSON.stringify(e.data)}\n\n`)
      }
      // Token times are on the platform clock (sessions sign with it); so is this check.
      const expMs = typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined
      const expired = () => expMs !== undefined && platform.clock.now().getTime() >= expMs
      const heartbeat = setInterval(() => (expired() ? end('expired') : res.write(': heartbeat\n\n')), heartbeatMs)
      const expiry =
        expMs !== undefined
          ? setTimeout(() => end('expired'), Math.min(MAX_TIMER_MS, Math.max(0, expMs - platform.clock.now().getTime())))
          : undefined
      let ended = false
      const openedAt = Date.now()
      // A hijacked response gets no 'request completed' line: these stand for it (at debug, like
      // the request lines; the request id ties them to the URL, logged redacted).
      req.log.debug({ app, userId }, 'event stream opened')
      function end(reason?: 'expired' | 'revoked') {
        if (ended) return
        ended = true
        req.log.debug({ reason: reason ?? 'closed', durationMs: Date.now() - openedAt }, 'event stream closed')
        clearInterval(heartbeat)
        clearTimeout(expiry)
        live.delete(end)
        release()
        send = () => {}
        unsubscribe().catch((err) => platform.log.warn({ err }, 'realtime unsubscribe failed'))
        if (reason && !res.writableEnded) res.write(`event: session.ended\ndata: ${JSON.stringify({ reason })}\n\n`)
        if (!res.writableEnded) res.end()
      }
      live.set(end, claims)
      res.on('close', () => end())
      res.on('error', () => end())
      // Gone, or revoked, while subscribing: end now (a close already emitted is not emitted again,
      // and a stream left open would hold a subscription and a slot of the user's cap).
      if (res.destroyed || req.raw.socket?.destroyed) end()
      else if (claims && platform.revocations.refusal(claims)) end('revoked')
      else if (expired()) end('expired')
    },
  }
}
