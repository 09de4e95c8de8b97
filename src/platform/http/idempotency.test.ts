import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { defineApp } from '../app'
import { AppError } from './errors'
import { errorSchema } from './server'
import { IDEMPOTENCY_TTL_MS, RUNNING_LEASE_MS, canonical } from './idempotency'
import { purgeExpiredIdempotencyKeys } from '../ledger/idempotency-keys'

// A throwaway app: each call of /spend counts a unit of work, so a replay shows as "no new work".
let work = 0
let gate: Promise<void> | undefined
const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, platform, guard: guardOf }) {
    const guard = guardOf(['client'])
    http.post(
      '/spend/:item',
      {
        preHandler: guard,
        config: { idempotent: true },
        schema: {
          params: z.object({ item: z.string() }),
          body: z.object({
            amount: z.number().int(),
            outcome: z.enum(['ok', 'refuse', 'crash', 'wait']).default('ok'),
            note: z.string().optional(),
          }),
          response: {
            201: z.object({ n: z.number(), at: z.date(), amount: z.number() }),
            402: errorSchema,
            409: errorSchema,
            422: errorSchema,
          },
        },
      },
      async (req, reply) => {
        if (req.body.outcome === 'wait') await gate
        work++
        if (req.body.outcome === 'refuse') throw new AppError('payment_required', `refused #${work}`)
        if (req.body.outcome === 'crash') throw new Error('boom')
        reply.code(201)
        return { n: work, at: platform.clock.now(), amount: req.body.amount }
      },
    )
    http.post(
      '/other',
      {
        preHandler: guard,
        config: { idempotent: true },
        schema: { headers: z.object({ 'x-extra': z.string().optional() }), body: z.object({ amount: z.number() }) },
      },
      async () => ({ n: ++work }),
    )
    http.post('/plain', { preHandler: guard, schema: { body: z.object({ amount: z.number() }) } }, async () => ({ n: ++work }))
  },
})

const SUB_A = '00000000-0000-4000-8000-00000000000a'
const SUB_B = '00000000-0000-4000-8000-00000000000b'

describe('Idempotency-Key', () => {
  let env: TestEnv
  let tokenA: string
  let tokenB: string
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
    tokenA = await env.platform.tokens.sign({ sub: SUB_A, role: 'client', app: 'probe' })
    tokenB = await env.platform.tokens.sign({ sub: SUB_B, role: 'client', app: 'probe' })
  })
  afterAll(() => env.close())

  const spend = (key: string | undefined, body: object, o: { token?: string; item?: string } = {}) =>
    env.http.inject({
      method: 'POST',
      url: `/v1/probe/spend/${o.item ?? 'x'}`,
      headers: { authorization: `Bearer ${o.token ?? tokenA}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: body,
    })

  it('requires the header on opted-in routes, naming it', async () => {
    const before = work
    const res = await spend(undefined, { amount: 1 })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('validation_failed')
    expect(res.json().error.message).toMatch(/idempotency-key/i)
    for (const bad of ['', 'x'.repeat(256), 'has space', 'naïve']) {
      const r = await spend(bad, { amount: 1 })
      expect(r.statusCode, JSON.stringify(bad)).toBe(400)
      expect(r.json().error.message).toMatch(/idempotency-key/i)
    }
    expect(work).toBe(before)
    // Routes that did not opt in do not need it.
    const plain = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/plain',
      headers: { authorization: `Bearer ${tokenA}` },
      payload: { amount: 1 },
    })
    expect(plain.statusCode).toBe(200)
  })

  it('checks the token before touching the key', async () => {
    const res = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/spend/x',
      headers: { 'idempotency-key': 'no-token' },
      payload: { amount: 1 },
    })
    expect(res.statusCode).toBe(401)
    const ok = await spend('no-token', { amount: 1 })
    expect(ok.statusCode).toBe(201)
    expect(ok.headers['idempotent-replayed']).toBeUndefined()
  })

  it('replays the first response byte for byte for a retry with the same key and body', async () => {
    const first = await spend('k-replay', { amount: 5, note: 'a' })
    expect(first.statusCode).toBe(201)
    const n = work
    env.clock.advance(60_000)
    // Same body with keys in another order is the same request.
    const again = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/spend/x',
      headers: { authorization: `Bearer ${tokenA}`, 'idempotency-key': 'k-replay', 'content-type': 'application/json' },
      payload: '{"note":"a","amount":5}',
    })
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.headers['content-type']).toMatch(/application\/json/)
    expect(again.body).toBe(first.body)
    expect(work).toBe(n)
  })

  it('refuses the same key with a different body or item: 422 idempotency_key_reused', async () => {
    await spend('k-reuse', { amount: 1 })
    const n = work
    const other = await spend('k-reuse', { amount: 2 })
    expect(other.statusCode).toBe(422)
    expect(other.json().error.code).toBe('idempotency_key_reused')
    const otherItem = await spend('k-reuse', { amount: 1 }, { item: 'y' })
    expect(otherItem.statusCode).toBe(422)
    expect(work).toBe(n)
  })

  it('scopes keys by user and by route', async () => {
    const a = await spend('k-scope', { amount: 1 })
    const b = await spend('k-scope', { amount: 1 }, { token: tokenB })
    expect(b.statusCode).toBe(201)
    expect(b.headers['idempotent-replayed']).toBeUndefined()
    expect(b.json().n).not.toBe(a.json().n)
    const route = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/other',
      headers: { authorization: `Bearer ${tokenA}`, 'idempotency-key': 'k-scope' },
      payload: { amount: 1 },
    })
    expect(route.statusCode).toBe(200)
    expect(route.headers['idempotent-replayed']).toBeUndefined()
  })

  it('answers 409 idempotency_in_progress while the first request runs, then replays it', async () => {
    let open!: () => void
    gate = new Promise((r) => (open = r))
    const first = spend('k-running', { amount: 1, outcome: 'wait' })
    await new Promise((r) => setTimeout(r, 50))
    const during = await spend('k-running', { amount: 1, outcome: 'wait' })
    expect(during.statusCode).toBe(409)
    expect(during.json().error.code).toBe('idempotency_in_progress')
    const reused = await spend('k-running', { amount: 2, outcome: 'wait' })
    expect(reused.statusCode).toBe(422)
    open()
    const done = await first
    expect(done.statusCode).toBe(201)
    const after = await spend('k-running', { amount: 1, outcome: 'wait' })
    expect(after.headers['idempotent-replayed']).toBe('true')
    expect(after.body).toBe(done.body)
    gate = undefined
  })

  it('stores 4xx answers and replays them', async () => {
    const first = await spend('k-refuse', { amount: 1, outcome: 'refuse' })
    expect(first.statusCode).toBe(402)
    const n = work
    const again = await spend('k-refuse', { amount: 1, outcome: 'refuse' })
    expect(again.statusCode).toBe(402)
    expect(again.body).toBe(first.body)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(work).toBe(n)
  })

  it('releases the key after a 5xx so a retry runs again', async () => {
    const first = await spend('k-crash', { amount: 1, outcome: 'crash' })
    expect(first.statusCode).toBe(500)
    const n = work
    const again = await spend('k-crash', { amount: 1, outcome: 'crash' })
    expect(again.statusCode).toBe(500)
    expect(again.headers['idempotent-replayed']).toBeUndefined()
    expect(work).toBe(n + 1)
  })

  it('keeps a response for 24 hours; an expired key counts as absent', async () => {
    const first = await spend('k-expiry', { amount: 1 })
    env.clock.advance(IDEMPOTENCY_TTL_MS - 1000)
    expect((await spend('k-expiry', { amount: 1 })).body).toBe(first.body)
    env.clock.advance(2000)
    const later = await spend('k-expiry', { amount: 1 })
    expect(later.statusCode).toBe(201)
    expect(later.headers['idempotent-replayed']).toBeUndefined()
    expect(later.json().n).toBeGreaterThan(first.json().n)
    // A different body is fine too once the key expired.
    env.clock.advance(IDEMPOTENCY_TTL_MS + 1)
    expect((await spend('k-expiry', { amount: 9 })).statusCode).toBe(201)
  })

  it('frees a key whose request never answered after the running lease', async () => {
    const now = env.clock.now()
    await sql`insert into platform.idempotency_keys (scope, key, request_hash, status, created_at, expires_at)
      values (${`probe:${SUB_A}:POST /v1/probe/spend/:item`}, 'k-stuck', 'whatever', 'running', ${now}, ${new Date(now.getTime() + RUNNING_LEASE_MS)})`.execute(
      env.platform.db.kysely,
    )
    expect((await spend('k-stuck', { amount: 1 })).statusCode).toBe(422)
    env.clock.advance(RUNNING_LEASE_MS)
    expect((await spend('k-stuck', { amount: 1 })).statusCode).toBe(201)
  })

  it('purges expired keys', async () => {
    await spend('k-purge', { amount: 1 })
    const far = new Date(env.clock.now().getTime() + IDEMPOTENCY_TTL_MS + 1)
    expect(await purgeExpiredIdempotencyKeys(env.platform.db.kysely, far)).toBeGreaterThan(0)
    const { rows } = await sql`select count(*)::int as n from platform.idempotency_keys where expires_at <= ${far}`.execute(
      env.platform.db.kysely,
    )
    expect(rows[0]).toEqual({ n: 0 })
  })

  it('documents the header as required in OpenAPI and keeps other headers of the route', async () => {
    const doc = env.http.swagger() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>>
    }
    const params = doc.paths['/v1/probe/spend/{item}'].post.parameters ?? []
    expect(params).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true }))
    const other = doc.paths['/v1/probe/other'].post.parameters ?? []
    expect(other.map((p) => p.name)).toEqual(expect.arrayContaining(['x-extra', 'idempotency-key']))
    expect(doc.paths['/v1/probe/plain'].post.parameters ?? []).not.toContainEqual(expect.objectContaining({ name: 'idempotency-key' }))
  })

  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(canonical({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(canonical({ a: [1, { c: 3, d: 2 }], b: 1 }))
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }))
    expect(canonical({ a: undefined, b: 1 })).toBe(canonical({ b: 1 }))
  })
})
