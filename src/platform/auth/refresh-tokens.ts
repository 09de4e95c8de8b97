// Refresh tokens: random, shown once, stored as SHA-256 in platform.refresh_tokens. Each use
// rotates the token (the old one is revoked and points to its successor); presenting a revoked
// token again means it leaked, so every token descended from it is revoked too.
import { createHash, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { Executor } from '../db/database'
import { AppError } from '../http/errors'

const TABLE = 'platform.refreshTokens'
const PREFIX = 'mbr_'

export interface IssuedRefreshToken {
  token: string
  expiresAt: Date
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  userId: string
  role: string
}

export interface RefreshTokens {
  issue(db: Executor, owner: { userId: string; role: string }): Promise<IssuedRefreshToken>
  /** Exchanges a live token for a new one; 401 when unknown, expired, revoked or reused. */
  rotate(token: string): Promise<RotatedRefreshToken>
  /** Logout. Idempotent: true when a live token was revoked. */
  revoke(token: string): Promise<boolean>
  revokeAllForUser(db: Executor, userId: string): Promise<number>
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export function createRefreshTokens(platform: Pick<Platform, 'db' | 'clock' | 'config'>, app: string): RefreshTokens {
  const ttlMs = platform.config.REFRESH_TTL_DAYS * 86_400_000

  async function insert(db: Executor, userId: string, role: string, now: Date) {
    const token = PREFIX + randomBytes(32).toString('base64url')
    const expiresAt = new Date(now.getTime() + ttlMs)
    const row = await db
      .insertInto(TABLE)
      .values({ app, userId, role, tokenHash: hash(token), createdAt: now, expiresAt })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { id: row.id as string, token, expiresAt }
  }

  return {
    async issue(db, owner) {
      const { token, expiresAt } = await insert(db, owner.userId, owner.role, platform.clock.now())
      return { token, expiresAt }
    },

    async rotate(token) {
      const now = platform.clock.now()
      const outcome = await platform.db.kysely.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom(TABLE)
          .select(['id', 'userId', 'role', 'expiresAt', 'revokedAt'])
          .where('tokenHash', '=', hash(token))
          .where('app', '=', app)
          .forUpdate()
          .executeTakeFirst()
        if (!row) return { kind: 'unknown' as const }
        if (row.revokedAt) {
          await sql`
            with recursive family(id, replaced_by) as (
              select id, replaced_by from platform.refresh_tokens where id = ${row.id}
              union all
              select t.id, t.replaced_by from platform.refresh_tokens t join family f on t.id = f.replaced_by
            )
            update platform.refresh_tokens set revoked_at = ${now}
            where id in (select id from family) and revoked_at is null`.execute(tx)
          return { kind: 'reused' as const }
        }
        if (new Date(row.expiresAt) <= now) return { kind: 'expired' as const }
        const next = await insert(tx, row.userId, row.role, now)
        await tx.updateTable(TABLE).set({ revokedAt: now, replacedBy: next.id }).where('id', '=', row.id).execute()
        return { kind: 'ok' as const, token: next.token, expiresAt: next.expiresAt, userId: row.userId as string, role: row.role as string }
      })
      switch (outcome.kind) {
        case 'ok':
          return { token: outcome.token, expiresAt: outcome.expiresAt, userId: outcome.userId, role: outcome.role }
        case 'unknown':
          throw new AppError('unauthorized', 'Unknown refresh token')
        case 'expired':
          throw new AppError('unauthorized', 'Refresh token expired; sign in again')
        case 'reused':
          throw new AppError('unauthorized', 'Refresh token was already used or revoked; the session has been ended, sign in again')
      }
    },

    async revoke(token) {
      const res = await platform.db.kysely
        .updateTable(TABLE)
        .set({ revokedAt: platform.clock.now() })
        .where('tokenHash', '=', hash(token))
        .where('app', '=', app)
        .where('revokedAt', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
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
