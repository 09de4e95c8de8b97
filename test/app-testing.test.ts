// Every registered app gives the proof suites (auth, fuzz, RLS matrix) what they need to cover it:
// a testing provider at test/support/apps/<app>.ts. A new app without one fails here by name, and
// fails those suites too, rather than being skipped by them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_APPS } from '../src/apps'
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
    expect(providers.map((t) => t.name)).toEqual(ALL_APPS.map((a) => a.name))
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
