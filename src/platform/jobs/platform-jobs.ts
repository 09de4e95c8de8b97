// Platform-wide maintenance: rows that only ever grow unless someone removes them.
import { sql } from 'kysely'
import { DAY } from '../clock'
import type { JobDefinition } from './types'
import { logPartitionsJob } from '../ops/logs/partitions'

/** Dev-mailbox mail is kept this long; it exists only for reading codes during development. */
export const DEV_MAIL_RETENTION_MS = 7 * DAY

export const purgeIdempotencyKeys: JobDefinition = {
  name: 'platform-purge-idempotency-keys',
  cron: '15 * * * *',
  description: 'delete idempotency keys past their expiry',
  async run({ platform, now }) {
    const res = await platform.db.kysely.deleteFrom('platform.idempotencyKeys').where('expiresAt', '<', now).executeTakeFirst()
    return { deleted: Number(res.numDeletedRows) }
  },
}

export const purgeRefreshTokens: JobDefinition = {
  name: 'platform-purge-refresh-tokens',
  cron: '30 3 * * *',
  description: 'delete expired refresh tokens, and revoked ones whose rotation chain has no live token',
  async run({ platform, now }) {
    // A revoked token whose successor is still live must stay: presenting it again is how a
    // stolen token is detected, and that revokes the live successor. Only dead chains go.
    const { rows } = await sql<{ deleted: number }>`
      with recursive chain (start_id, id, replaced_by, revoked_at, expires_at) as (
        select id, id, replaced_by, revoked_at, expires_at from platform.refresh_tokens where revoked_at is not null
        union all
        select c.start_id, t.id, t.replaced_by, t.revoked_at, t.expires_at
        from chain c join platform.refresh_tokens t on t.id = c.replaced_by
      ),
      live as (
        select distinct start_id from chain where revoked_at is null and expires_at >= ${now}
      ),
      gone as (
        delete from platform.refresh_tokens r
        where r.expires_at < ${now}
           or (r.revoked_at < ${now} and not exists (select 1 from live where live.start_id = r.id)
               -- a token rotated twice within the grace window has a sibling outside its chain
               and not exists (select 1 from platform.refresh_tokens l
                               where l.family = r.family and l.revoked_at is null and l.expires_at >= ${now}))
        returning 1
      )
      select count(*)::int as deleted from gone`.execute(platform.db.kysely)
    return { deleted: rows[0].deleted }
  },
}

export const purgeSessionRevocations: JobDefinition = {
  name: 'platform-purge-session-revocations',
  cron: '20 * * * *',
  description: 'delete session revocations whose last refused access token has expired anyway',
  async run({ platform, now }) {
    const res = await platform.db.kysely.deleteFrom('platform.sessionRevocations').where('expiresAt', '<', now).executeTakeFirst()
    return { deleted: Number(res.numDeletedRows) }
  },
}

export const purgeDevMailbox: JobDefinition = {
  name: 'platform-purge-dev-mailbox',
  cron: '45 3 * * *',
  description: 'delete dev-mailbox mail older than 7 days',
  async run({ platform, now }) {
    const res = await platform.db.kysely
      .deleteFrom('platform.devMailbox')
      .where('sentAt', '<', new Date(now.getTime() - DEV_MAIL_RETENTION_MS))
      .executeTakeFirst()
    return { deleted: Number(res.numDeletedRows) }
  },
}

export const platformJobs: JobDefinition[] = [
  purgeIdempotencyKeys,
  purgeRefreshTokens,
  purgeSessionRevocations,
  purgeDevMailbox,
  logPartitionsJob,
]
