// Server-sent events: one long response per client, fed by the notifier's subscriptions.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Http } from '../app'
import type { Platform } from '../platform'
import type { RealtimeEvent } from './types'

/** Proxies and load balancers drop connections that stay silent; a comment keeps them open. */
export const HEARTBEAT_MS = 15_000
/** How long a browser's EventSource waits before reconnecting. */
const RETRY_MS = 3_000

export interface EventStreams {
  /** Streams the user's realtime events until the client goes away or the server closes. */
  open(req: FastifyRequest, reply: FastifyReply, who: { app: string; userId: string }): Promise<void>
  /** Streams open now. */
  count(): number
}

/** Call while registering routes: the server's close ends open streams instead of waiting on them. */
export function eventStreams(http: Http, platform: Platform, opts: { heartbeatMs?: number } = {}): EventStreams {
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS
  const live = new Set<() => void>()
  http.addHook('preClose', async () => {
    for (const end of [...live]) end()
  })

  return {
    count: () => live.size,
    async open(req, reply, { app, userId }) {
      let send: (e: RealtimeEvent) => void = () => {}
      // Subscribe before taking over the response, so a failure still leaves as a JSON error.
      const unsubscribe = await platform.notify.subscribe(app, userId, (e) => send(e))
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
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs)
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        clearInterval(heartbeat)
        live.delete(end)
        send = () => {}
        unsubscribe().catch((err) => platform.log.warn({ err }, 'realtime unsubscribe failed'))
        if (!res.writableEnded) res.end()
      }
      live.add(end)
      res.on('close', end)
      res.on('error', end)
    },
  }
}
