// Fixed-window rate limits, shared through Redis when REDIS_URL is set, in-process otherwise.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'

export interface LimitRule {
  /** Distinguishes limiters, e.g. 'otp-email'. */
  name: string
  points: number
  durationSeconds: number
}

export interface Limiter {
  /** Counts one hit for key; returns whether it is allowed and when to retry. */
  hit(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>
  reset(key: string): Promise<void>
  /** Gives back one hit counted for key (e.g. an attempt that turned out not to count). */
  refund(key: string): Promise<void>
}

export type LimiterFactory = (rule: LimitRule) => Limiter

export function limiterFactory(redis?: Redis): LimiterFactory {
  return (rule) => {
    const opts = { keyPrefix: `rl:${rule.name}`, points: rule.points, duration: rule.durationSeconds }
    const impl: RateLimiterAbstract = redis ? new RateLimiterRedis({ ...opts, storeClient: redis }) : new RateLimiterMemory(opts)
    return {
      async hit(key) {
        try {
          await impl.consume(key)
          return { allowed: true, retryAfterSeconds: 0 }
        } catch (res) {
          if (res instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.ceil(res.msBeforeNext / 1000) }
          throw res
        }
      },
      async reset(key) {
        await impl.delete(key)
      },
      async refund(key) {
        await impl.reward(key, 1)
      },
    }
  }
}
