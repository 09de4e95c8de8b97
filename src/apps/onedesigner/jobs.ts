// OneDesigner's scheduled jobs; `matchbase maintain <name>` runs one now.
import type { JobDefinition } from '../../platform'
import { maintenanceJobs } from './maintenance/jobs'
import { matchingJobs } from './matching/jobs'
import { projectRequestJobs } from './project-requests/jobs'

export const jobs: JobDefinition[] = [...maintenanceJobs, ...matchingJobs, ...projectRequestJobs]
