import type { JobDefinition } from '../../platform/jobs/types'

export const jobs: JobDefinition[] = []
