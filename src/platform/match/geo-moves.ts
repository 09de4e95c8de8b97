// How often a user may move their own point. Coarse distances (geo.ts) stop one reading from
// locating someone; probing the rounding boundaries still needs many moves, so moves are counted.
import { AppError } from '../http/errors'
import type { Platform } from '../platform'

export interface LocationMoves {
  /** Counts a move of `userId`'s point; throws rate_limited (429) past LOCATION_CHANGES_PER_DAY. */
  count(userId: string): Promise<void>
}

/** One per app and feature that stores a user's position; create once, at route registration. */
export function locationMoves(platform: Pick<Platform, 'limiter' | 'config'>, app: string): LocationMoves {
  const perDay = platform.config.LOCATION_CHANGES_PER_DAY
  const limiter = platform.limiter({ name: `location-moves:${app}`, points: perDay, durationSeconds: 86_400 })
  return {
    async count(userId) {
      const { allowed, retryAfterSeconds } = await limiter.hit(userId)
      if (!allowed)
        throw new AppError(
          'rate_limited',
          `You can change your location ${perDay} times a day; try again in ${retryAfterSeconds} seconds`,
          {
            field: 'latitude',
            limitPerDay: perDay,
            retryAfterSeconds,
          },
        )
    },
  }
}
