// Regression found by the hostile-input suite (test/fuzz): /stream answers 400 for a malformed
// query (access_token given twice), which its OpenAPI entry did not list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, bearer } from '../../../../test/support/onedesigner'
import { openApiDocument } from '../../../platform'
import { ALL_APPS } from '../../../apps'

describe('GET /stream with a malformed query', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('answers 400 validation_failed, as documented', async () => {
    // Signed in by header, so the guard lets it through to the query's validation.
    const client = await aClient(env.platform)
    const res = await env.http.inject({
      method: 'GET',
      url: '/v1/onedesigner/stream?access_token=a&access_token=b',
      headers: bearer(client),
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/access_token/) })
    const doc = JSON.parse(await openApiDocument(env.platform, ALL_APPS))
    expect(Object.keys(doc.paths['/v1/onedesigner/stream'].get.responses)).toContain('400')
  })
})
