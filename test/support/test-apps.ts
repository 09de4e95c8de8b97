// The apps a test run registers: every production app (ALL_APPS, src/apps/index.ts) and the
// test-only apps that prove a new app is cheap, which production never sees. The template
// database, the default test server and the proof suites (auth, fuzz, RLS matrix) take their apps
// from here, so a test-only app is migrated, served and covered like the real ones, while
// docs/openapi.json, schema.generated.ts and `matchbase migrate` keep to ALL_APPS
// (docs/decisions/0017-generic-proof-suites.md, "Test-only apps").
import { ALL_APPS } from '../../src/apps'
import type { AppModule } from '../../src/platform/app'
import { skeleton } from './skeleton-app'

export const TEST_ONLY_APPS: AppModule[] = [skeleton]
export const TEST_APPS: AppModule[] = [...ALL_APPS, ...TEST_ONLY_APPS]
