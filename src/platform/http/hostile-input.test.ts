// Regressions found by the hostile-input suite (test/fuzz): URLs the router cannot decode, path
// parameters past the router's limit, and NUL characters that Postgres text cannot store must all
// answer a 400 in the documented error shape, never Fastify's own body or a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { defineApp } from '../app'
import { jsonNestsDeeperThan } from './server'

const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, platform }) {
    http.get('/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async (req) => ({ id: req.params.id }))
    http.post('/store', { schema: { body: z.object({ text: z.string() }) } }, async (req) => {
      await sql`select ${req.body.text}::text`.execute(platform.db.kysely)
      return { ok: true }
    })
  },
})

describe('hostile URLs and text', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
  })
  afterAll(() => env.close())

  it.each(['/v1/probe/things/%', '/v1/probe/things/%zz', '/v1/probe/things/%ED%A0%80'])(
    'answers 400 bad_request for an undecodable URL: %s',
    async (url) => {
      const res = await env.http.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/URL is not valid/) } })
    },
  )

  it('answers 400 bad_request for an over-long path parameter, without echoing it', async () => {
    const res = await env.http.inject({ method: 'GET', url: `/v1/probe/things/${'a'.repeat(5_000)}` })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: 'A path parameter is too long' } })
  })

  it('answers 400 validation_failed for text with a NUL character', async () => {
    const res = await env.http.inject({ method: 'POST', url: '/v1/probe/store', payload: { text: 'a\u0000b' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/NUL/) })
  })
})

describe('deeply nested JSON', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('refuses a body nested past MAX_JSON_DEPTH with 400 invalid_json, even on an idempotent route', async () => {
    // Found on POST /matches/:id/unlock: hashing a 10,000-level body for the Idempotency-Key overflowed the stack (500).
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)
    const res = await env.http.inject({
      method: 'POST',
      url: '/v1/onedesigner/matches/646edbd0-3bc2-440d-8f74-0f6fd7be1486/unlock',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1' },
      payload: deep,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/deeper than 64/) })
  })

  it('counts only structure, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan(JSON.stringify({ a: '[[[[[[[[[[{{{{{{{{{{' }), 3)).toBe(false)
    expect(jsonNestsDeeperThan(JSON.stringify({ a: 'x\\"[[[[' }), 1)).toBe(false)
    expect(jsonNestsDeeperThan('[[[[]]]]', 3)).toBe(true)
    expect(jsonNestsDeeperThan('[[[]]]', 3)).toBe(false)
  })
})
