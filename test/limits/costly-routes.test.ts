// Costly routes of both apps carry a per-user limit (issue 10, item 9), stated in the OpenAPI
// document with a 429, and the limit bites over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { aClient, bearer } from '../support/onedesigner'

const COSTLY: [string, string][] = [
  ['post', '/v1/onedesigner/briefs'],
  ['post', '/v1/onedesigner/briefs/{id}/matches'],
  ['post', '/v1/onedesigner/project-requests'],
  ['post', '/v1/bandsy/media-samples'],
  ['post', '/v1/bandsy/conversations/{id}/messages'],
  ['get', '/v1/bandsy/discovery'],
  ['post', '/v1/bandsy/interactions'],
  ['post', '/v1/bandsy/groups'],
  ['post', '/v1/bandsy/groups/{id}/events'],
  ['post', '/v1/bandsy/groups/{id}/invitations'],
]

type Op = { description?: string; responses: Record<string, unknown> }

describe('limits on costly routes', () => {
  let env: TestEnv
  beforeAll(async () => {
    // A tenth of the defaults: brief creation allows 3 per hour here.
    env = await createTestEnv({ config: { USER_RATE_LIMIT_FACTOR: '0.1' } })
  })
  afterAll(() => env.close())

  it.each(COSTLY)('%s %s states its per-user limit and documents 429', (method, path) => {
    const op = (env.http.swagger() as unknown as { paths: Record<string, Record<string, Op>> }).paths[path]?.[method]
    expect(op, `${method} ${path}`).toBeDefined()
    expect(op!.description).toMatch(/Limit: \d+ per \w+ per user/)
    expect(Object.keys(op!.responses)).toContain('429')
  })

  it('brief creation answers 429 with Retry-After past the limit', async () => {
    const client = await aClient(env.platform)
    const create = () =>
      env.http.inject({
        method: 'POST',
        url: '/v1/onedesigner/briefs',
        headers: bearer(client),
        payload: { projectType: 'branding-logo', projectTitle: 'Limit test' },
      })
    for (let i = 0; i < 3; i++) expect((await create()).statusCode).toBe(201)
    const over = await create()
    expect(over.statusCode).toBe(429)
    expect(over.json().error).toMatchObject({ code: 'rate_limited', details: { limit: 'briefs' } })
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
    // Another client is not affected.
    const other = await aClient(env.platform)
    expect(
      (
        await env.http.inject({
          method: 'POST',
          url: '/v1/onedesigner/briefs',
          headers: bearer(other),
          payload: { projectType: 'branding-logo', projectTitle: 'Mine' },
        })
      ).statusCode,
    ).toBe(201)
  })
})
