import type { JobDefinition } from '../../../platform'
import { refreshStaleEmbeddings } from './embeddings'

export const refreshEmbeddingsJob: JobDefinition = {
  name: 'onedesigner-refresh-embeddings',
  cron: '*/5 * * * *',
  description: 'Embeds designers whose embedding is missing, stale after a profile edit, or from another model',
  async run({ platform }) {
    return { refreshed: await refreshStaleEmbeddings(platform, 1_000) }
  },
}

export const matchingJobs: JobDefinition[] = [refreshEmbeddingsJob]
