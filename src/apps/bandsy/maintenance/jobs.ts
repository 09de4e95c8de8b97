// Bandsy housekeeping. Each acts as of ctx.now, so `matchbase maintain <job> --at <time>` and
// tests can move time.
import { sql } from 'kysely'
import { type JobDefinition, otpCleanupJob } from '../../../platform'
import { APP } from '../app-name'

export const refreshActivityScores: JobDefinition = {
  name: 'bandsy-refresh-activity',
  cron: '17 * * * *',
  description: "recount each musician's activity score: likes, passes and messages of the last 30 days",
  async run({ platform, now }) {
    const { rows } = await sql<{ n: number }>`select bandsy.refresh_activity_scores(${now}) as n`.execute(platform.db.kysely)
    return { updated: rows[0].n }
  },
}

export const cleanupTokens = otpCleanupJob(APP, '7 * * * *')

export const maintenanceJobs: JobDefinition[] = [refreshActivityScores, cleanupTokens]
