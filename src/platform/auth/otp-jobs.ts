// The cleanup of an app's sign-in codes (the auth_tokens shape of platform 0002), one job per app
// so that each app's schedule and `matchbase maintain <app>-cleanup-tokens` keep their names.
import { sql } from 'kysely'
import type { JobDefinition } from '../jobs/types'

export function otpCleanupJob(app: string, cron: string): JobDefinition {
  return {
    name: `${app}-cleanup-tokens`,
    cron,
    description: 'delete unverified sign-in codes past their expiry',
    async run({ platform, now }) {
      const { rows } = await sql<{ n: number }>`select platform.cleanup_expired_otp_codes(${app}, ${now}) as n`.execute(platform.db.kysely)
      return { deleted: rows[0].n }
    },
  }
}
