// Protects a route: a valid bearer token for this app, with one of the allowed roles.
import type { FastifyRequest } from 'fastify'
import { AppError } from './errors'
import type { Platform } from '../platform'

export function requireRole(platform: Platform, app: string, roles: readonly string[]) {
  return async (req: FastifyRequest) => {
    const header = req.headers.authorization
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!match) throw new AppError('unauthorized', 'Missing bearer token (Authorization: Bearer <token>)')
    const claims = await platform.tokens.verify(match[1], app)
    if (!roles.includes(claims.role))
      throw new AppError('forbidden', `This needs the ${roles.join(' or ')} role; the token is for ${claims.role}`)
    req.claims = claims
  }
}

/** OpenAPI security requirement for bearer-protected routes. */
export const bearer = [{ bearer: [] }]
