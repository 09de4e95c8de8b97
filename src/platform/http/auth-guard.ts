// Protects a route: a valid bearer token for this app, with one of the allowed roles. Apps get it
// bound to their name as the route context's guard (app-context.ts).
import type { FastifyRequest } from 'fastify'
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
        opts.queryToken
          ? 'Missing token (Authorization: Bearer <token>, or ?access_token=<token>)'
          : 'Missing bearer token (Authorization: Bearer <token>)',
      )
    const claims = await platform.tokens.verify(token, app)
    // '*': any role of this app (routes every user has, such as a GDPR export).
    if (!roles.includes('*') && !roles.includes(claims.role))
      throw new AppError('forbidden', `This needs the ${roles.join(' or ')} role; the token is for ${claims.role}`)
    req.claims = claims
  }
  return Object.assign(guard, { [GUARD]: true })
}

/** Whether a preHandler is a guard made by requireRole (see guardedRoutes in app-context.ts). */
export const isGuard = (h: unknown): boolean => typeof h === 'function' && GUARD in h
