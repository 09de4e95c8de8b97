import type { JobDefinition } from '../../../platform/jobs/types'

export const maintenanceJobs: JobDefinition[] = []
