// A session is a short-lived access JWT (aud = app) plus a rotating refresh token. The access
// token's sid names the session (the refresh-token family), so ending a session, or all of a
// user's, refuses its access tokens at once on every instance (auth/revocations.ts).
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
  /**
   * Ends every session of the user and refuses every access token issued to them so far: for an
   * account deleted or disabled, or a role taken away. db: a system executor (the caller's
   * transaction, so the ending commits with the change that caused it).
   */
  endAllForUser(db: Executor, userId: string): Promise<void>
}

export function createSessions(platform: Platform, app: string): Sessions {
  const refreshTokens = createRefreshTokens(platform, app)
  const sign = (u: SessionUser, sid: string) =>
    platform.tokens.sign({ sub: u.id, role: u.role, app, email: u.email, sid }, platform.clock.now())
  const expiresIn = platform.config.JWT_TTL_SECONDS

  return {
    refreshTokens,
    async start(db, user) {
      const refresh = await refreshTokens.issue(db, { userId: user.id, role: user.role })
      return { accessToken: await sign(user, refresh.family), refreshToken: refresh.token, expiresIn, user }
    },
    async refresh(token, findUser) {
      const rotated = await refreshTokens.rotate(token)
      const user = await findUser(rotated.userId, rotated.role)
      if (!user) {
        await refreshTokens.revoke(rotated.token)
        throw new AppError('unauthorized', 'The account of this session no longer exists')
      }
      return { accessToken: await sign(user, rotated.family), refreshToken: rotated.token, expiresIn, user }
    },
    async end(token) {
      await refreshTokens.revoke(token)
    },
    async endAllForUser(db, userId) {
      await refreshTokens.revokeAllForUser(db, userId)
      await platform.revocations.endUser(app, userId, db)
    },
  }
}
