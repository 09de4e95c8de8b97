// Bandsy's scheduled jobs; `matchbase maintain <name>` runs one now.
import type { JobDefinition } from '../../platform'
import { maintenanceJobs } from './maintenance/jobs'
import { expireSubscriptions } from './subscriptions/jobs'
import { discoveryJobs } from './discovery/jobs'

export const jobs: JobDefinition[] = [...maintenanceJobs, expireSubscriptions, ...discoveryJobs]
