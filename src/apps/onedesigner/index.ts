// OneDesigner: designers matched to client briefs; credits unlock designers; 72-hour project
// requests; email OTP login; admin approval. Seed: shared/seeds/000_d651c74a71cc44e6.txt.
import { fileURLToPath } from 'node:url'
import { defineApp } from '../../platform'
import { accountRoutes } from './accounts/routes'
import { designerRoutes } from './designers/routes'
import { adminRoutes } from './admin/routes'
import { briefRoutes } from './briefs/routes'
import { matchingRoutes } from './matching/routes'
import { unlockRoutes } from './unlocks/routes'
import { creditRoutes } from './credits/routes'
import { projectRequestRoutes } from './project-requests/routes'
import { notificationRoutes } from './notifications/routes'
import { jobs } from './jobs'
import { retention } from './retention'
import { seed, isSeeded } from './seed'
import { APP } from './app-name'

export const onedesigner = defineApp({
  name: APP,
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  hasAdmins: true,
  async routes(ctx) {
    for (const register of [
      accountRoutes, // OTP sign-up and login for clients, designers and admins; /me
      designerRoutes, // a designer's own profile and stats; approved designers for clients
      adminRoutes, // approval queue, approve, reject, re-review after edits
      briefRoutes, // client briefs with per-category fields
      matchingRoutes, // ranked matches for a brief, with reasons and explanations
      unlockRoutes, // spend a credit to unlock a matched designer
      creditRoutes, // credit packages, purchases, balance and ledger
      projectRequestRoutes, // 72-hour project requests and responses
      notificationRoutes, // notifications and the realtime stream
    ])
      await register(ctx)
  },
  jobs,
  retention,
  seed,
  isSeeded,
})
