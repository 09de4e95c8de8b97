// The testing providers of the registered apps, found by convention: the app named N provides
// test/support/apps/N.ts exporting `testing` (an AppTesting, see ./app-testing.ts). The proof
// suites take every app of TEST_APPS (./test-apps.ts: ALL_APPS and the test-only apps) through here, so a new app is covered by them without an edit
// to any suite, and an app without a provider fails them by name. Why here and not a field of the
// app's manifest: docs/decisions/0017-generic-proof-suites.md.
import { TEST_APPS } from './test-apps'
import type { AppModule } from '../../src/platform/app'
import type { AppTesting } from './app-testing'

export class MissingTestingProvider extends Error {}

export async function testingFor(app: Pick<AppModule, 'name'>): Promise<AppTesting> {
  const where = `test/support/apps/${app.name}.ts`
  let mod: { testing?: AppTesting }
  try {
    mod = await import(`./apps/${app.name}.ts`)
  } catch (err) {
    // Only a missing file is a missing provider; a provider that fails to load says why.
    if (
      !/Unknown variable dynamic import|Failed to load|Cannot find|does not exist|ERR_MODULE_NOT_FOUND/i.test(
        String((err as Error).message),
      )
    )
      throw err
    throw new MissingTestingProvider(
      `app "${app.name}" is registered but has no testing provider: add ${where} exporting \`testing\` (see test/support/app-testing.ts)`,
      { cause: err },
    )
  }
  const t = mod.testing
  if (!t) throw new MissingTestingProvider(`${where} exports no \`testing\``)
  if (t.name !== app.name) throw new MissingTestingProvider(`${where} provides for "${t.name}", not "${app.name}"`)
  if (!t.roles.length) throw new MissingTestingProvider(`${where} names no role`)
  return t
}

/** Every registered app's provider, in registration order. */
export async function testingOf(apps: Pick<AppModule, 'name'>[] = TEST_APPS): Promise<AppTesting[]> {
  const out: AppTesting[] = []
  for (const app of apps) out.push(await testingFor(app))
  return out
}
