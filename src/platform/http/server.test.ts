import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { defineApp } from '../app'
import { AppError, ERROR_STATUS } from './errors'
import { buildHttp } from './server'

// A throwaway app exercising the HTTP layer's contract.
const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, platform, guard, asUser }) {
    http.post('/echo', { schema: { body: z.object({ name: z.string().min(2), age: z.number().int().min(0) }) } }, async (req) => ({
      hello: req.body.name,
    }))
    http.get('/boom/:code', { schema: { params: z.object({ code: z.string() }) } }, async (req) => {
      throw new AppError(req.params.code as keyof typeof ERROR_STATUS, 'as asked')
    })
    http.get('/pg/:sqlstate', async (req) => {
      const state = (req.params as { sqlstate: string }).sqlstate
      if (state === 'unique') {
        await sql`create temp table if not exists t (id int primary key)`.execute(platform.db.kysely)
        await sql`insert into t values (1) on conflict do nothing`.execute(platform.db.kysely)
        await sql`insert into t values (1)`.execute(platform.db.kysely)
      }
      if (state === 'invalid') await sql`select ${'x'}::int`.execute(platform.db.kysely)
      if (state === 'crash') throw new Error('secret internal detail')
      if (state === 'frozen') throw new Error('Query read timeout')
      if (state === 'down') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
      return {}
    })
    http.get('/me', { preHandler: guard(['client']) }, async (req) =>
      asUser(req.claims, async (tx) => {
        const { rows } = await sql<{
          uid: string
          role: string
          usr: string
        }>`select platform.uid() as uid, platform.role() as role, current_user as usr`.execute(tx)
        return rows[0]
      }),
    )
  },
})

describe('HTTP contract', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
  })
  afterAll(() => env.close())

  it('names the invalid field in a 400 JSON error', async () => {
    const res = await env.http.inject({ method: 'POST', url: '/v1/probe/echo', payload: { name: 'x', age: -1 } })
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.error.code).toBe('validation_failed')
    expect(body.error.message).toMatch(/body\.name/)
    expect(body.error.details.map((d: { field: string }) => d.field)).toEqual(['body.name', 'body.age'])
  })

  it('answers malformed JSON and wrong content types with 4xx JSON', async () => {
    const bad = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('invalid_json')
    const wrongType = await env.http.inject({
      method: 'POST',
      url: '/v1/probe/echo',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    })
    expect(wrongType.statusCode).toBe(415)
    expect(wrongType.json().error.code).toBe('unsupported_media_type')
  })

  it('maps every error code to its status from one table', async () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      const res = await env.http.inject({ method: 'GET', url: `/v1/probe/boom/${code}` })
      expect(res.statusCode, code).toBe(status)
      expect(res.json().error.code).toBe(code)
    }
  })

  it('maps Postgres errors by SQLSTATE and hides internal errors', async () => {
    const dup = await env.http.inject({ method: 'GET', url: '/v1/probe/pg/unique' })
    expect(dup.statusCode).toBe(409)
    expect(dup.json().error.code).toBe('conflict')
    const invalid = await env.http.inject({ method: 'GET', url: '/v1/probe/pg/invalid' })
    expect(invalid.statusCode).toBe(400)
    const crash = await env.http.inject({ method: 'GET', url: '/v1/probe/pg/crash' })
    expect(crash.statusCode).toBe(500)
    expect(crash.body).not.toContain('secret internal detail')
    expect(crash.json().error.code).toBe('internal')
    const frozen = await env.http.inject({ method: 'GET', url: '/v1/probe/pg/frozen' })
    expect([frozen.statusCode, frozen.json().error.code]).toEqual([504, 'timeout'])
    const down = await env.http.inject({ method: 'GET', url: '/v1/probe/pg/down' })
    expect([down.statusCode, down.json().error.code, down.headers['retry-after']]).toEqual([503, 'unavailable', '1'])
  })

  it('returns JSON 404 for unknown routes and carries a request id', async () => {
    const res = await env.http.inject({ method: 'GET', url: '/v1/nope', headers: { 'x-request-id': 'req-123' } })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('not_found')
    expect(res.headers['x-request-id']).toBe('req-123')
  })

  it('keeps a caller request id only in a bounded, safe form', async () => {
    for (const given of ['x'.repeat(129), 'a b', '<script>', 'id\u00e9']) {
      const res = await env.http.inject({ method: 'GET', url: '/v1/nope', headers: { 'x-request-id': given } })
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('answers errors of the HTTP parser in the error shape', async () => {
    const address = await env.http.listen({ host: '127.0.0.1', port: 0 })
    const { port } = new URL(address)
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(text))
        let out = ''
        socket.on('data', (d) => (out += d))
        socket.on('end', () => resolve(out))
        socket.on('error', reject)
      })
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(huge).toMatch(/^HTTP\/1.1 431 /)
    expect(JSON.parse(huge.split('\r\n\r\n')[1]).error.code).toBe('headers_too_large')
    const garbled = await raw('GET / HTTP/1.1\r\nHost x\r\n\r\n')
    expect(garbled).toMatch(/^HTTP\/1.1 400 /)
    expect(JSON.parse(garbled.split('\r\n\r\n')[1]).error.code).toBe('bad_request')
  })

  it('guards routes by token audience and role, and runs queries under RLS as the user', async () => {
    expect((await env.http.inject({ method: 'GET', url: '/v1/probe/me' })).statusCode).toBe(401)
    const sub = '00000000-0000-4000-8000-000000000001'
    const other = await env.platform.tokens.sign({ sub, role: 'client', app: 'bandsy' })
    const wrongApp = await env.http.inject({ method: 'GET', url: '/v1/probe/me', headers: { authorization: `Bearer ${other}` } })
    expect(wrongApp.statusCode).toBe(401)
    expect(wrongApp.json().error.message).toMatch(/not issued for probe/)
    const designer = await env.platform.tokens.sign({ sub, role: 'designer', app: 'probe' })
    expect(
      (await env.http.inject({ method: 'GET', url: '/v1/probe/me', headers: { authorization: `Bearer ${designer}` } })).statusCode,
    ).toBe(403)
    const token = await env.platform.tokens.sign({ sub, role: 'client', app: 'probe' })
    const ok = await env.http.inject({ method: 'GET', url: '/v1/probe/me', headers: { authorization: `Bearer ${token}` } })
    expect(ok.json()).toEqual({ uid: sub, role: 'client', usr: 'matchbase_user' })
  })

  it('serves health, readiness and metrics', async () => {
    expect((await env.http.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await env.http.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' })
    const metrics = await env.http.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toContain('matchbase_http_request_duration_seconds')
  })
})

describe('operational endpoints', () => {
  it('keeps the driver message of a failed readiness check in the log, not in the answer', async () => {
    const env = await createTestEnv({ apps: [] })
    try {
      const executor = env.platform.db.kysely.getExecutor()
      const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432 user=matchbase'), { code: 'ECONNREFUSED' })
      vi.spyOn(executor, 'executeQuery').mockRejectedValueOnce(refused)
      const res = await env.http.inject({ method: 'GET', url: '/readyz' })
      expect(res.statusCode).toBe(503)
      expect(res.json().error).toEqual({ code: 'unavailable', message: 'Database not reachable' })
      expect(res.body).not.toMatch(/10\.1\.2\.3|ECONNREFUSED|matchbase/)
    } finally {
      await env.close()
    }
  })

  it('serves /metrics behind METRICS_TOKEN, openly in development, and not at all in production without one', async () => {
    const token = 'metrics-token-0123456789'
    const guarded = await createTestEnv({ apps: [], config: { METRICS_TOKEN: token } })
    const production = await createTestEnv({ apps: [], config: { NODE_ENV: 'production' } })
    try {
      const get = (env: TestEnv, authorization?: string) =>
        env.http.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} })
      expect((await get(guarded)).statusCode).toBe(401)
      expect((await get(guarded, `Bearer ${token}x`)).statusCode).toBe(401)
      const ok = await get(guarded, `Bearer ${token}`)
      expect([ok.statusCode, ok.body.includes('matchbase_http_request_duration_seconds')]).toEqual([200, true])
      expect((await get(production)).statusCode).toBe(404)
    } finally {
      await guarded.close()
      await production.close()
    }
  })

  it('answers browsers: CORS for configured origins (and localhost in development), security headers everywhere', async () => {
    const env = await createTestEnv({ apps: [], config: { CORS_ORIGINS: 'https://app.example.com' } })
    const production = await createTestEnv({ apps: [], config: { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' } })
    try {
      const preflight = (e: TestEnv, origin: string) =>
        e.http.inject({
          method: 'OPTIONS',
          url: '/healthz',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
        })
      const listed = await preflight(env, 'https://app.example.com')
      expect(listed.statusCode).toBe(204)
      expect(listed.headers['access-control-allow-origin']).toBe('https://app.example.com')
      expect(String(listed.headers['access-control-allow-headers'])).toMatch(/authorization/)
      expect((await preflight(env, 'http://localhost:5173')).headers['access-control-allow-origin']).toBe('http://localhost:5173')
      const stranger = await preflight(env, 'https://evil.example')
      // @fastify/cors answers a preflight from an origin it does not allow as an unknown route.
      expect([stranger.statusCode, stranger.headers['access-control-allow-origin']]).toEqual([404, undefined])
      expect((await preflight(production, 'http://localhost:5173')).headers['access-control-allow-origin']).toBeUndefined()
      expect((await preflight(production, 'https://app.example.com')).headers['access-control-allow-origin']).toBe(
        'https://app.example.com',
      )

      const json = await env.http.inject({ method: 'GET', url: '/healthz' })
      expect(json.headers['x-content-type-options']).toBe('nosniff')
      expect(json.headers['content-security-policy']).toMatch(/default-src 'none'/)
      expect(json.headers['strict-transport-security']).toBeDefined()
      const withDocs = await buildHttp(env.platform, [])
      const docs = await withDocs.inject({ method: 'GET', url: '/docs' })
      await withDocs.close()
      expect(docs.statusCode).toBe(200)
      expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'/)
    } finally {
      await env.close()
      await production.close()
    }
  })
})
