// Each retention policy is a scheduled job of its own (`<app>-retention-<name>`), so one slow or
// failing policy neither delays nor hides the others, and `matchbase maintain` can run any one.
import type { AppModule } from '../../app'
import type { JobDefinition } from '../../jobs/types'
import { policiesOf } from './policies'
import { runPolicy } from './run'
import type { ResolvedPolicy } from './types'

export const DEFAULT_RETENTION_CRON = '0 4 * * *'

export const retentionJobName = (p: ResolvedPolicy) => `${p.app}-retention-${p.name}`

export function retentionJobs(apps: AppModule[]): JobDefinition[] {
  return policiesOf(apps).map((p) => ({
    name: retentionJobName(p),
    cron: p.cron ?? DEFAULT_RETENTION_CRON,
    description: `retention: ${p.description}`,
    async run({ platform, now }) {
      const outcome = await runPolicy(platform, p, { now })
      return {
        [p.action === 'archive' ? 'archived' : p.action === 'delete' ? 'deleted' : 'anonymized']: outcome.rows,
        batches: outcome.batches.length,
      }
    },
  }))
}
