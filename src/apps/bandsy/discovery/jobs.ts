// Discovery snapshots are only useful while their cursors are (30 minutes).
import type { JobDefinition } from '../../../platform'
import { deleteExpiredFeeds } from './repository'

export const expireDiscoveryFeeds: JobDefinition = {
  name: 'bandsy-expire-discovery-feeds',
  cron: '*/10 * * * *',
  description: 'delete discovery feed snapshots past their expiry',
  async run({ platform, now }) {
    return { deleted: await deleteExpiredFeeds(platform.db.kysely, now) }
  },
}

export const discoveryJobs: JobDefinition[] = [expireDiscoveryFeeds]
