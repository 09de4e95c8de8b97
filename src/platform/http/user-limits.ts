// Per-user limits on costly routes, declared on the route: `config: { limit: { name, points,
// perSeconds } }`. Counted per app and user after the auth guard (so before any costly work),
// shared through Redis when configured; over the limit answers 429 with Retry-After. The route's
// OpenAPI description states the limit and documents the 429.
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { Platform } from '../platform'
import type { Limiter } from './rate-limit'
import { AppError } from './errors'
import { isGuard } from './auth-guard'
import { errorSchema } from './server'

export interface UserLimit {
  /** Names the counter, e.g. 'matching-runs'; routes with the same name share it. */
  name: string
  points: number
  perSeconds: number
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A per-user limit on this route (it needs an auth guard); see src/platform/http/user-limits.ts. */
    limit?: UserLimit
  }
}

/** `30 per hour` style. */
export function describeLimit(points: number, perSeconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ]
  for (const [seconds, unit] of units)
    if (perSeconds % seconds === 0) return `${points} per ${perSeconds === seconds ? unit : `${perSeconds / seconds} ${unit}s`}`
  return `${points} per ${perSeconds} seconds`
}

/** Register before the routes (onRoute sees only routes added after it). */
export function userLimits(http: { addHook(name: 'onRoute', fn: (route: RouteOptions) => void): unknown }, platform: Platform) {
  const factor = platform.config.USER_RATE_LIMIT_FACTOR
  const limiters = new Map<string, Limiter>()
  http.addHook('onRoute', (route: RouteOptions) => {
    const limit = route.config?.limit
    if (!limit) return
    const guarded = [route.preHandler, route.preValidation].flat().some(isGuard)
    if (!guarded) throw new Error(`${route.method} ${route.url}: a per-user limit needs an auth guard`)
    const schema = { ...route.schema }
    const stated = `Limit: ${describeLimit(limit.points, limit.perSeconds)} per user (429 with Retry-After above it).`
    schema.description = schema.description ? `${schema.description} ${stated}` : stated
    schema.response = { ...(schema.response as Record<string, unknown> | undefined), 429: errorSchema }
    route.schema = schema
    // Factor 0 turns the limits off (benchmarks that drive a few users hard).
    if (factor === 0) return
    const points = Math.max(1, Math.round(limit.points * factor))
    const key = `${limit.name}:${points}:${limit.perSeconds}`
    let limiter = limiters.get(key)
    if (!limiter) {
      limiter = platform.limiter({ name: `user:${limit.name}`, points, durationSeconds: limit.perSeconds })
      limiters.set(key, limiter)
    }
    const counter = limiter
    const hit = async (req: FastifyRequest) => {
      const { allowed, retryAfterSeconds } = await counter.hit(`${req.claims.app}:${req.claims.sub}`)
      if (!allowed)
        throw new AppError(
          'rate_limited',
          `Limit reached: ${describeLimit(points, limit.perSeconds)} (${limit.name}); try again in ${retryAfterSeconds} seconds`,
          { limit: limit.name, retryAfterSeconds },
        )
    }
    route.preHandler = [hit, ...[route.preHandler ?? []].flat()] as RouteOptions['preHandler']
  })
}
