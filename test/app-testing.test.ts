// Every registered app gives the proof suites (auth, fuzz, RLS matrix) what they need to cover it:
// a testing provider at test/support/apps/<app>.ts. A new app without one fails here by name, and
// fails those suites too, rather than being skipped by them.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_APPS } from '../src/apps'
import { TEST_APPS } from './support/test-apps'
import { MissingTestingProvider, testingFor, testingOf } from './support/app-registry'
import { createTestEnv, type TestEnv } from './support/test-env'

describe('testing providers', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env?.close())

  it('exist for every registered app, under its own name', async () => {
    const providers = await testingOf()
    expect(providers.map((t) => t.name)).toEqual(TEST_APPS.map((a) => a.name))
  })

  it('are required: an app without one is named in the failure', async () => {
    await expect(testingFor({ name: 'no-such-app' })).rejects.toThrow(MissingTestingProvider)
    await expect(testingFor({ name: 'no-such-app' })).rejects.toThrow('test/support/apps/no-such-app.ts')
  })

  it("make users of each of the app's roles with tokens the app accepts", async () => {
    for (const t of await testingOf()) {
      for (const role of t.roles) {
        const u = await t.user(env.platform, role)
        expect({ role: u.role, app: u.app }).toEqual({ role, app: t.name })
        expect(await env.platform.tokens.verify(u.token, t.name)).toMatchObject({ sub: u.id, role, app: t.name })
      }
      await expect(t.user(env.platform, 'no-such-role')).rejects.toThrow()
    }
  })
})

describe("an app's tests", () => {
  const root = path.resolve(import.meta.dirname, '..')
  const names = ALL_APPS.map((a) => a.name)
  /** Files under dir whose name ends with suffix. */
  const walk = (dir: string, suffix: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [path.join(dir, e.name)] : []))
  /** The app a test support file belongs to, by its name (bandsy-groups.ts, apps/bandsy-rls.ts), if any. */
  const appOfSupport = (file: string) => names.find((n) => path.basename(file) === `${n}.ts` || path.basename(file).startsWith(`${n}-`))

  it("import no other app's code or test helpers", () => {
    const crossings: string[] = []
    for (const app of names) {
      const dir = path.join(root, 'src/apps', app)
      for (const file of walk(dir, '.test.ts')) {
        const text = fs.readFileSync(file, 'utf8')
        for (const [, spec] of text.matchAll(/from\s+'([^']+)'/g)) {
          if (!spec!.startsWith('.')) continue
          const target = path.resolve(path.dirname(file), spec!)
          const rel = path.relative(root, target)
          const inApp = /^src\/apps\/([^/]+)\//.exec(rel)?.[1]
          const support = rel.startsWith('test/support/') ? appOfSupport(target) : undefined
          const other = [inApp, support].find((a) => a && a !== app && names.includes(a))
          if (other) crossings.push(`${path.relative(root, file)} imports ${spec} (${other})`)
        }
      }
    }
    expect(crossings).toEqual([])
  })
})
