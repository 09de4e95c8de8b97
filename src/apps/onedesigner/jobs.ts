// OneDesigner's scheduled jobs; `matchbase maintain <name>` runs one now.
import type { JobDefinition } from '../../platform'
import { backfillMatchExpiry, maintenanceJobs } from './maintenance/jobs'
import { matchingJobs } from './matching/jobs'
import { projectRequestJobs } from './project-requests/jobs'

// On demand: the backfill step of the zero-downtime NOT NULL of matches.expires_at.
export const jobs: JobDefinition[] = [...maintenanceJobs, ...matchingJobs, ...projectRequestJobs, backfillMatchExpiry]
