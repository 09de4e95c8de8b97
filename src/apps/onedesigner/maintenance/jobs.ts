// OneDesigner's housekeeping: the seed's cleanup functions and its stats view, on a schedule.
// Each acts as of ctx.now, so `matchbase maintain <job> --at <time>` and tests can move time.
import { sql } from 'kysely'
import { backfillInBatches, DAY, type JobDefinition, otpCleanupJob } from '../../../platform'
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
    // Every match has an expiry since migration 0013 (expires_at NOT NULL).
    return { expired: rows[0].n }
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

/**
 * Step 2 of the zero-downtime NOT NULL of matches.expires_at (migrations 0012 expand, 0013
 * contract): gives every match stored without an expiry the seed's 7 days from its creation, in
 * batches. On demand: `matchbase maintain onedesigner-backfill-match-expiry`, between the two.
 */
export const backfillMatchExpiry: JobDefinition = {
  name: 'onedesigner-backfill-match-expiry',
  description: 'give matches stored without expires_at their 7-day expiry, 1,000 rows per transaction (before migration 0013)',
  async run({ platform }) {
    return backfillInBatches(platform.db.kysely, {
      table: 'onedesigner.matches',
      set: `expires_at = created_at + interval '${MATCH_LIFETIME_MS / 1000} seconds'`,
      where: 'expires_at is null',
    })
  },
}

export const maintenanceJobs: JobDefinition[] = [expireMatches, cleanupTokens, cleanupCache, refreshStats]
