import type { JobDefinition } from '../../../platform/jobs/types'

export const projectRequestJobs: JobDefinition[] = []
