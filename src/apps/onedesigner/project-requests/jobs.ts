// Expires project requests left unanswered past their 72-hour deadline and tells both sides.
// The update and the notifications share one transaction: a request is never expired silently.
import type { JobDefinition } from '../../../platform'
import { expireDue } from './repository'
import { notifyExpired } from './service'

export const projectRequestJobs: JobDefinition[] = [
  {
    name: 'onedesigner-expire-requests',
    cron: '*/5 * * * *',
    description: 'Expire pending project requests whose 72-hour response deadline has passed, notifying client and designer',
    async run({ platform, now }) {
      const expired = await platform.db.kysely.transaction().execute(async (tx) => {
        const rows = await expireDue(tx, now)
        for (const r of rows) await notifyExpired(platform, tx, r)
        return rows.length
      })
      return { expired }
    },
  },
]
