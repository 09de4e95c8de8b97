// Regression found by the hostile-input suite (test/fuzz): approving a designer without a design
// category answers 422, which the route's OpenAPI entry did not list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aDesigner, anAdmin, bearer } from '../../../../test/support/onedesigner'
import { openApiDocument } from '../../../platform'
import { ALL_APPS } from '../../../apps'

describe('approving a designer with no category', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('answers 422 unprocessable, as documented', async () => {
    const admin = await anAdmin(env.platform)
    const designer = await aDesigner(env.platform, { approved: false, categories: [] })
    const res = await env.http.inject({
      method: 'POST',
      url: `/v1/onedesigner/admin/designers/${designer.id}/approve`,
      headers: bearer(admin),
    })
    expect(res.statusCode).toBe(422)
    expect(res.json().error).toMatchObject({ code: 'unprocessable', details: { field: 'categories' } })
    const doc = JSON.parse(await openApiDocument(env.platform, ALL_APPS))
    expect(Object.keys(doc.paths['/v1/onedesigner/admin/designers/{id}/approve'].post.responses)).toContain('422')
  })
})
