// Per-user limits declared on a route (issue 10, item 9): counted per app and user, 429 with
// Retry-After in the error shape, stated in the OpenAPI description with a 429 response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { defineApp } from '../app'
import { buildHttp } from './server'
import { describeLimit } from './user-limits'

const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, guard }) {
    http.post(
      '/runs',
      {
        preHandler: guard(['client']),
        config: { limit: { name: 'probe-runs', points: 3, perSeconds: 60 } },
        schema: { tags: ['runs'], summary: 'a costly run', description: 'Runs it.', response: { 200: z.object({ ok: z.boolean() }) } },
      },
      async () => ({ ok: true }),
    )
  },
})

const unguarded = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http }) {
    http.post('/runs', { config: { limit: { name: 'x', points: 1, perSeconds: 60 } } }, async () => ({}))
  },
})

type Op = { description?: string; responses: Record<string, unknown> }

describe('per-user route limits', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
  })
  afterAll(() => env.close())

  const run = async (sub: string, app = 'probe') => {
    const token = await env.platform.tokens.sign({ sub, role: 'client', app })
    return env.http.inject({ method: 'POST', url: '/v1/probe/runs', headers: { authorization: `Bearer ${token}` } })
  }

  it('answers 429 with Retry-After past the limit, per user', async () => {
    const alice = '00000000-0000-4000-8000-00000000000a'
    const bob = '00000000-0000-4000-8000-00000000000b'
    for (let i = 0; i < 3; i++) expect((await run(alice)).statusCode).toBe(200)
    const over = await run(alice)
    expect(over.statusCode).toBe(429)
    expect(over.json().error).toMatchObject({ code: 'rate_limited', details: { limit: 'probe-runs' } })
    expect(over.json().error.message).toMatch(/3 per minute/)
    const retry = Number(over.headers['retry-after'])
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(60)
    expect((await run(bob)).statusCode).toBe(200)
  })

  it('states the limit in the OpenAPI description and documents 429', () => {
    const op = (env.http.swagger() as unknown as { paths: Record<string, Record<string, Op>> }).paths['/v1/probe/runs']!.post!
    expect(op.description).toBe('Runs it. Limit: 3 per minute per user (429 with Retry-After above it).')
    expect(Object.keys(op.responses)).toContain('429')
  })

  it('refuses a limit on a route without an auth guard', async () => {
    await expect(buildHttp(env.platform, [unguarded], { docs: false })).rejects.toThrow(/needs an auth guard/)
  })

  it('USER_RATE_LIMIT_FACTOR scales the limits; 0 turns them off', async () => {
    const off = await createTestEnv({ apps: [probe], config: { USER_RATE_LIMIT_FACTOR: '0' } })
    try {
      const token = await off.platform.tokens.sign({ sub: '00000000-0000-4000-8000-00000000000c', role: 'client', app: 'probe' })
      for (let i = 0; i < 6; i++)
        expect(
          (await off.http.inject({ method: 'POST', url: '/v1/probe/runs', headers: { authorization: `Bearer ${token}` } })).statusCode,
        ).toBe(200)
    } finally {
      await off.close()
    }
  })

  it('says limits in plain units', () => {
    expect(describeLimit(30, 3600)).toBe('30 per hour')
    expect(describeLimit(60, 60)).toBe('60 per minute')
    expect(describeLimit(5, 7200)).toBe('5 per 2 hours')
    expect(describeLimit(5, 45)).toBe('5 per 45 seconds')
  })
})
