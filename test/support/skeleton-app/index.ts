// The skeleton app: the smallest real app on the platform (code sign-in, a guarded resource under
// row-level security, a purchase). Test-only: registered by test/support/test-apps.ts, never by
// src/apps, so it reaches neither production nor docs/openapi.json (docs/decisions/0017).
import { fileURLToPath } from 'node:url'
import { defineApp, otpCleanupJob } from '../../../src/platform'
import { skeletonRoutes } from './routes'
import { APP } from './service'

export const skeleton = defineApp({
  name: APP,
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  routes: skeletonRoutes,
  jobs: [otpCleanupJob(APP, '17 * * * *')],
})
