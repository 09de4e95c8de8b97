// Refresh tokens: random, shown once, stored as SHA-256 in platform.refresh_tokens. Each use
// rotates the token (the old one is revoked and points to its successor); presenting a revoked
// token again means it leaked, so the whole session (every token of its family) ends, and so do
// the session's access tokens (auth/revocations.ts).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Platform } from '../platform'
import type { Executor } from '../db/database'
import { AppError } from '../http/errors'

const TABLE = 'platform.refreshTokens'
const PREFIX = 'mbr_'

export interface IssuedRefreshToken {
  token: string
  expiresAt: Date
  /** The session: the family of the sign-in's first token, shared by every token rotated from it. */
  family: string
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  userId: string
  role: string
}

export interface RefreshTokens {
  issue(db: Executor, owner: { userId: string; role: string }): Promise<IssuedRefreshToken>
  /**
   * Exchanges a live token for a new one; 401 when unknown, expired, revoked or reused. A token
   * rotated less than REFRESH_REUSE_GRACE_SECONDS ago gets a new token of the same session too
   * (two tabs refreshing at once); later, presenting it is reuse and ends the whole session.
   */
  rotate(token: string): Promise<RotatedRefreshToken>
  /** Logout: ends the token's whole session. Idempotent: true when a live token was revoked. */
  revoke(token: string): Promise<boolean>
  revokeAllForUser(db: Executor, userId: string): Promise<number>
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export function createRefreshTokens(platform: Pick<Platform, 'db' | 'clock' | 'config' | 'revocations'>, app: string): RefreshTokens {
  const ttlMs = platform.config.REFRESH_TTL_DAYS * 86_400_000
  const graceMs = platform.config.REFRESH_REUSE_GRACE_SECONDS * 1000

  async function insert(db: Executor, userId: string, role: string, family: string | undefined, now: Date) {
    const token = PREFIX + randomBytes(32).toString('base64url')
    const expiresAt = new Date(now.getTime() + ttlMs)
    const id = randomUUID()
    await db
      .insertInto(TABLE)
      .values({ id, app, userId, role, family: family ?? id, tokenHash: hash(token), createdAt: now, expiresAt })
      .execute()
    return { id, token, expiresAt, family: family ?? id }
  }

  /** Revokes every live token of the session and refuses its access tokens everywhere. */
  async function endFamily(tx: Executor, family: string, now: Date) {
    const res = await tx
      .updateTable(TABLE)
      .set({ revokedAt: now })
      .where('family', '=', family)
      .where('app', '=', app)
      .where('revokedAt', 'is', null)
      .executeTakeFirst()
    await platform.revocations.endSession(app, family, tx)
    return Number(res.numUpdatedRows)
  }

  return {
    async issue(db, owner) {
      const { token, expiresAt, family } = await insert(db, owner.userId, owner.role, undefined, platform.clock.now())
      return { token, expiresAt, family }
    },

    async rotate(token) {
      const now = platform.clock.now()
      const outcome = await platform.db.kysely.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom(TABLE)
          .select(['id', 'userId', 'role', 'family', 'expiresAt', 'revokedAt', 'replacedBy'])
          // A session is ended when one of its tokens was revoked without a successor: logout,
          // reuse, the account's sessions ended. Checked on every rotation, so a token issued in
          // a race with the ending cannot carry the session on.
          .select((eb) =>
            eb
              .exists(
                eb
                  .selectFrom(`${TABLE} as f`)
                  .select('f.id')
                  .whereRef('f.family', '=', 'platform.refreshTokens.family')
                  .where('f.revokedAt', 'is not', null)
                  .where('f.replacedBy', 'is', null),
              )
              .as('ended'),
          )
          .where('tokenHash', '=', hash(token))
          .where('app', '=', app)
          .forUpdate()
          .executeTakeFirst()
        if (!row) return { kind: 'unknown' as const }
        const family = row.family as string
        if (row.revokedAt) {
          const rotatedAgo = now.getTime() - new Date(row.revokedAt).getTime()
          const inGrace = row.replacedBy !== null && !row.ended && rotatedAgo < graceMs && new Date(row.expiresAt) > now
          if (!inGrace) {
            await endFamily(tx, family, now)
            return { kind: 'reused' as const }
          }
          // Just rotated by a twin request: a sibling token of the same session; neither is revoked.
        } else if (row.ended) {
          await endFamily(tx, family, now)
          return { kind: 'reused' as const }
        }
        if (new Date(row.expiresAt) <= now) return { kind: 'expired' as const }
        const next = await insert(tx, row.userId, row.role, family, now)
        if (!row.revokedAt) await tx.updateTable(TABLE).set({ revokedAt: now, replacedBy: next.id }).where('id', '=', row.id).execute()
        return { kind: 'ok' as const, ...next, userId: row.userId as string, role: row.role as string }
      })
      switch (outcome.kind) {
        case 'ok':
          return { token: outcome.token, expiresAt: outcome.expiresAt, family: outcome.family, userId: outcome.userId, role: outcome.role }
        case 'unknown':
          throw new AppError('unauthorized', 'Unknown refresh token')
        case 'expired':
          throw new AppError('unauthorized', 'Refresh token expired; sign in again')
        case 'reused':
          throw new AppError('unauthorized', 'Refresh token was already used or revoked; the session has been ended, sign in again')
      }
    },

    async revoke(token) {
      return platform.db.kysely.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom(TABLE)
          .select(['family'])
          .where('tokenHash', '=', hash(token))
          .where('app', '=', app)
          .executeTakeFirst()
        if (!row) return false
        return (await endFamily(tx, row.family as string, platform.clock.now())) > 0
      })
    },

    async revokeAllForUser(db, userId) {
      const res = await db
        .updateTable(TABLE)
        .set({ revokedAt: platform.clock.now() })
        .where('app', '=', app)
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows)
    },
  }
}
