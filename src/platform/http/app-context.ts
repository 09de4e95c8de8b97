// What an app's routes receive: one object that knows the app. Its guard only accepts this app's
// tokens, its asUser/asUserRead run under this app's claims, and the OpenAPI entries that every
// guarded route shares (bearer security, 400/401/403) are filled in by guardedRoutes below, so a
// route file names neither its app nor the auth boilerplate.
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { Http } from '../app'
import type { Platform } from '../platform'
import type { Tx } from '../db/database'
import { withUser, withUserRead, type Claims } from '../db/with-user'
import { AppError } from './errors'
import { isGuard, requireRole, type GuardOptions } from './auth-guard'
import { errorSchema } from './server'

export interface AppContext {
  /** The app's name: its Postgres schema, its URL prefix (/v1/<app>) and its tokens' audience. */
  readonly app: string
  /** The app's Fastify scope, mounted under /v1/<app>. */
  readonly http: Http
  readonly platform: Platform
  /** preHandler: a valid bearer token of this app with one of these roles (else 401/403). */
  guard(roles: readonly string[], opts?: GuardOptions): (req: FastifyRequest) => Promise<void>
  /** withUser for this app: fn runs in a transaction under row-level security as the caller. */
  asUser<T>(claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T>
  /** withUserRead for this app: a read that tolerates replica lag. fn must not write. */
  asUserRead<T>(claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T>
}

export function createAppContext(app: string, http: Http, platform: Platform): AppContext {
  // Claims verified by this app's guard always carry its name; anything else means claims from
  // another app's route reached this one, which must not run with this app's policies.
  const own = (claims: Claims) => {
    if (claims.app !== app) throw new AppError('forbidden', `A token of ${claims.app} cannot be used with ${app}`)
    return claims
  }
  return {
    app,
    http,
    platform,
    guard: (roles, opts) => requireRole(platform, app, roles, opts),
    asUser: async (claims, fn) => withUser(platform.db.kysely, own(claims), fn),
    asUserRead: async (claims, fn) => withUserRead(platform, own(claims), fn),
  }
}

/** Tags are grouped per app in one style: `<app>: <concept>` (routes name only the concept). */
export function appTags(http: Http, app: string) {
  http.addHook('onRoute', (route: RouteOptions) => {
    const tags = route.schema?.tags
    if (!tags) return
    route.schema = { ...route.schema, tags: tags.map((t) => (t.startsWith(`${app}: `) ? t : `${app}: ${t}`)) }
  })
}

/** OpenAPI security requirement for bearer-protected routes. */
const bearer = [{ bearer: [] }]
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * For every route with an auth guard: moves the guard before validation (a caller without a valid
 * token gets 401 whatever the body, and learns nothing about the route's input rules), and
 * documents what the guard and validation answer: bearer security, 401, 403, and 400 when the
 * route takes input. Entries a route writes itself win. Register before the routes (onRoute sees
 * only routes added after it).
 */
export function guardedRoutes(http: { addHook(name: 'onRoute', fn: (route: RouteOptions) => void): unknown }) {
  http.addHook('onRoute', (route: RouteOptions) => {
    const pre = hooks(route.preHandler)
    const guards = pre.filter(isGuard)
    if (!guards.length) return
    route.preValidation = [...guards, ...hooks(route.preValidation)] as RouteOptions['preValidation']
    route.preHandler = pre.filter((h) => !isGuard(h)) as RouteOptions['preHandler']

    const schema = { ...route.schema }
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const takesInput =
      schema.params !== undefined ||
      schema.querystring !== undefined ||
      schema.body !== undefined ||
      schema.headers !== undefined ||
      route.config?.idempotent === true ||
      methods.some((m) => BODY_METHODS.has(m))
    const response = { ...(schema.response as Record<string, unknown> | undefined) }
    for (const status of takesInput ? [400, 401, 403] : [401, 403]) response[status] ??= errorSchema
    route.schema = { ...schema, security: schema.security ?? bearer, response }
  })
}

function hooks(h: unknown): unknown[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h]
}
