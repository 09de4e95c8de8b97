// OneDesigner's housekeeping: the seed's cleanup functions and its stats view, on a schedule.
// Each acts as of ctx.now, so `matchbase maintain <job> --at <time>` and tests can move time.
import { sql } from 'kysely'
import { DAY, type JobDefinition, otpCleanupJob } from '../../../platform'
import { APP } from '../app-name'

/** Seed: "expires_at TIMESTAMP, -- 7-day expiry". */
export const MATCH_LIFETIME_MS = 7 * DAY

export const expireMatches: JobDefinition = {
  name: 'onedesigner-expire-matches',
  cron: '*/15 * * * *',
  description: 'mark active matches past their 7-day expiry as expired',
  async run({ platform, now }) {
    const db = platform.db.kysely
    const { rows } = await sql<{ n: number }>`select onedesigner.cleanup_expired_matches(${now}) as n`.execute(db)
    // A match stored without expires_at still lives 7 days from its creation.
    const undated = await db
      .updateTable('onedesigner.matches')
      .set({ status: 'expired' })
      .where('status', '=', 'active')
      .where('expiresAt', 'is', null)
      .where('createdAt', '<', new Date(now.getTime() - MATCH_LIFETIME_MS))
      .executeTakeFirst()
    return { expired: rows[0].n + Number(undated.numUpdatedRows) }
  },
}

/** The seed's cleanup_expired_tokens now runs this same platform cleanup (onedesigner 0009). */
export const cleanupTokens = otpCleanupJob(APP, '5 * * * *')

export const cleanupCache: JobDefinition = {
  name: 'onedesigner-cleanup-cache',
  cron: '10 * * * *',
  description: 'delete match-cache entries past their 24-hour lifetime',
  async run({ platform, now }) {
    const { rows } = await sql<{ n: number }>`select onedesigner.cleanup_expired_cache(${now}) as n`.execute(platform.db.kysely)
    return { deleted: rows[0].n }
  },
}

export const refreshStats: JobDefinition = {
  name: 'onedesigner-refresh-stats',
  cron: '0 * * * *',
  description: 'refresh the designer_quick_stats view (concurrently: readers are not blocked)',
  async run({ platform }) {
    // The view's 30-day windows use the database's now(); this job cannot act "as of" another time.
    // Through the platform's security-definer function: refreshing needs the view's owner, and the API role owns nothing.
    await sql`select platform.refresh_materialized_view('onedesigner.designer_quick_stats')`.execute(platform.db.kysely)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from onedesigner.designer_quick_stats`.execute(platform.db.kysely)
    return { designers: rows[0].n }
  },
}

export const maintenanceJobs: JobDefinition[] = [expireMatches, cleanupTokens, cleanupCache, refreshStats]
