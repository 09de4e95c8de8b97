// Subscriptions whose period is over become 'expired'. Gating does not wait for it (bandsy.plan_of
// reads end_date), so this keeps the status honest for history and the one-active index.
// Cancelled ones stay 'cancelled': that records the musician's choice, and their period is over too.
import type { JobDefinition } from '../../../platform'
import { expireEnded } from './repository'

export const expireSubscriptions: JobDefinition = {
  name: 'bandsy-expire-subscriptions',
  cron: '*/15 * * * *',
  description: "mark active subscriptions past their end_date 'expired'",
  async run({ platform, now }) {
    return { expired: await expireEnded(platform.db.kysely, now) }
  },
}
