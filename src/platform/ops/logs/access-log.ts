// The HTTP side of the access log: an onResponse hook hands each answered API request to the log
// buffer (memory only: no statement on the request path), and a route marks a sign-in or an
// account deletion with recordActivity(), written with it when the answer was a success.
import type { FastifyRequest } from 'fastify'
import type { Http } from '../../app'
import type { Platform } from '../../platform'
import type { ActivityAction } from './log-buffer'

interface PendingActivity {
  action: ActivityAction
  userId: string
  app?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    userActivity: PendingActivity | null
  }
}

/** The app of a route pattern: /v1/<app>/... */
export function appOfRoute(route: string): string | null {
  const m = /^\/v1\/([a-z][a-z0-9_]*)\//.exec(route)
  return m && m[1] !== 'dev' ? m[1] : null
}

/** Marks this request as a sign-in or an account deletion of userId; recorded if it succeeds. */
export function recordActivity(req: FastifyRequest, action: ActivityAction, userId: string, app?: string) {
  req.userActivity = { action, userId, app }
}

export function registerAccessLog(http: Http, platform: Platform) {
  http.decorateRequest('userActivity', null)
  // Callback-style like the other per-request hooks: no promise per request.
  http.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url
    const logged = route === undefined || route.startsWith('/v1/')
    const app = req.claims?.app ?? (route ? appOfRoute(route) : null)
    const at = platform.clock.now()
    if (logged)
      platform.logs.access({
        at,
        app,
        method: req.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        durationMs: reply.elapsedTime,
        userId: req.claims?.sub ?? req.userActivity?.userId ?? null,
        requestId: req.id,
      })
    const activity = req.userActivity
    const activityApp = activity?.app ?? app
    if (activity && activityApp && reply.statusCode < 300)
      platform.logs.activity({ at, app: activityApp, userId: activity.userId, action: activity.action, requestId: req.id })
    done()
  })
  http.addHook('onClose', async () => {
    await platform.logs.flush()
  })
}
