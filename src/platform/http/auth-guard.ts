// Protects a route: a valid bearer token for this app, with one of the allowed roles.
import type { FastifyRequest, RouteOptions } from 'fastify'
import { AppError } from './errors'
import type { Platform } from '../platform'

export interface GuardOptions {
  /**
   * Also accept the token as `?access_token=`. Only for event streams: a browser's EventSource
   * cannot send headers. A header, when present, still wins.
   */
  queryToken?: boolean
}

const GUARD = Symbol('auth guard')

export function requireRole(platform: Platform, app: string, roles: readonly string[], opts: GuardOptions = {}) {
  const guard = async (req: FastifyRequest) => {
    const header = req.headers.authorization
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    const fromQuery = opts.queryToken && !header ? (req.query as { access_token?: unknown } | undefined)?.access_token : undefined
    const token = match?.[1] ?? (typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined)
    if (!token)
      throw new AppError(
        'unauthorized',
        opts.queryToken ? 'Missing token (Authorization: Bearer <token>, or ?access_token=<token>)' : 'Missing bearer token (Authorization: Bearer <token>)',
      )
    const claims = await platform.tokens.verify(token, app)
    if (!roles.includes(claims.role))
      throw new AppError('forbidden', `This needs the ${roles.join(' or ')} role; the token is for ${claims.role}`)
    req.claims = claims
  }
  return Object.assign(guard, { [GUARD]: true })
}

/**
 * Routes name the guard as a preHandler; this moves it before validation, so a caller without a
 * valid token gets 401 whatever the body, and learns nothing about the route's input rules.
 * Register before the routes (onRoute sees only routes added after it).
 */
export function authBeforeValidation(http: { addHook(name: 'onRoute', fn: (route: RouteOptions) => void): unknown }) {
  http.addHook('onRoute', (route: RouteOptions) => {
    const pre = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : []
    const guards = pre.filter((h) => GUARD in h)
    if (!guards.length) return
    const validation = route.preValidation ? (Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation]) : []
    route.preValidation = [...guards, ...validation] as RouteOptions['preValidation']
    route.preHandler = pre.filter((h) => !(GUARD in h)) as RouteOptions['preHandler']
  })
}

/** OpenAPI security requirement for bearer-protected routes. */
export const bearer = [{ bearer: [] }]
