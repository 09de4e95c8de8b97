// A session is a short-lived access JWT (aud = app) plus a rotating refresh token.
import type { Platform } from '../platform'
import type { Executor } from '../db/database'
import { AppError } from '../http/errors'
import { createRefreshTokens, type RefreshTokens } from './refresh-tokens'

export interface SessionUser {
  id: string
  role: string
  email: string
}

export interface Session {
  accessToken: string
  refreshToken: string
  /** Seconds the access token lives. */
  expiresIn: number
  user: SessionUser
}

export interface Sessions {
  readonly refreshTokens: RefreshTokens
  start(db: Executor, user: SessionUser): Promise<Session>
  /**
   * Rotates the refresh token and signs a new access token. findUser re-reads the account so a
   * removed account cannot keep refreshing.
   */
  refresh(refreshToken: string, findUser: (id: string, role: string) => Promise<SessionUser | undefined>): Promise<Session>
  end(refreshToken: string): Promise<void>
}

export function createSessions(platform: Platform, app: string): Sessions {
  const refreshTokens = createRefreshTokens(platform, app)
  const sign = (u: SessionUser) => platform.tokens.sign({ sub: u.id, role: u.role, app, email: u.email }, platform.clock.now())
  const expiresIn = platform.config.JWT_TTL_SECONDS

  return {
    refreshTokens,
    async start(db, user) {
      const refresh = await refreshTokens.issue(db, { userId: user.id, role: user.role })
      return { accessToken: await sign(user), refreshToken: refresh.token, expiresIn, user }
    },
    async refresh(token, findUser) {
      const rotated = await refreshTokens.rotate(token)
      const user = await findUser(rotated.userId, rotated.role)
      if (!user) {
        await refreshTokens.revoke(rotated.token)
        throw new AppError('unauthorized', 'The account of this session no longer exists')
      }
      return { accessToken: await sign(user), refreshToken: rotated.token, expiresIn, user }
    },
    async end(token) {
      await refreshTokens.revoke(token)
    },
  }
}
