// Scale-out: two API instances (each its own platform, pool and Fastify server, as two processes
// would have) behind one Postgres and one Redis. Proves that
//   - the OTP rate limit per email is shared: hits on A and on B count together (Redis);
//   - a realtime event published through A reaches an SSE subscriber connected to B (NOTIFY on the
//     shared database, received by B's own LISTEN).
// Server-only (PGlite is one embedded process) and needs Redis (TEST_REDIS_URL, default
// redis://127.0.0.1:6379). Every key carries a prefix unique to this run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { testConfig } from '../../src/platform/config'
import { createPlatform, type Platform } from '../../src/platform/platform'
import { buildHttp } from '../../src/platform/http/server'
import { openDatabase } from '../../src/platform/db/database'
import { ALL_APPS } from '../../src/apps'
import type { Http } from '../../src/platform/app'
import { aClient } from '../support/onedesigner'
import { eventsNamed, openEventStream } from '../support/event-stream'
import { createTestEnv, onServer, type TestEnv } from '../support/test-env'
import { portOpen } from '../support/pg-cluster'

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379'
const redisUp = onServer && (await portOpen(Number(new URL(REDIS_URL).port || 6379)))
const skipReason = !onServer
  ? 'TEST_DATABASE_URL is not set (server-only suite: two instances need a database server they can share)'
  : !redisUp
    ? `Redis is not reachable at ${REDIS_URL} (set TEST_REDIS_URL)`
    : undefined
if (skipReason) console.warn(`[scale] two-instance suite skipped: ${skipReason}`)
const describeScale = skipReason ? describe.skip : describe

const OTP = '/v1/onedesigner/auth/otp'
const PER_EMAIL = 5

describeScale(`scale: two API instances share Postgres and Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const prefix = `mbtest:${process.pid}:${randomUUID().slice(0, 8)}:`
  const settings = { REDIS_URL, REDIS_KEY_PREFIX: prefix, OTP_RATE_PER_EMAIL: String(PER_EMAIL) }
  let a: TestEnv
  let b: { platform: Platform; http: Http; base: string }
  let redis: Redis

  beforeAll(async () => {
    a = await createTestEnv({ config: settings })
    // Instance B: the same database, a platform and pool of its own, a real HTTP listener.
    const config = testConfig(settings)
    const db = await openDatabase(config, { url: a.databaseUrl, directUrl: a.databaseDirectUrl })
    const platform = await createPlatform(config, { db })
    const http = await buildHttp(platform, ALL_APPS, { docs: false })
    const base = await http.listen({ port: 0, host: '127.0.0.1' })
    b = { platform, http, base }
    redis = new Redis(REDIS_URL)
  })

  afterAll(async () => {
    await b?.http.close()
    await b?.platform.close()
    await a?.close()
    if (redis) {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    }
  })

  it('the two instances have pools of their own on one database', async () => {
    expect(b.platform.db.pool).not.toBe(a.platform.db.pool)
    const { rows: ra } = await a.platform.db.pool.query('select current_database() as db')
    const { rows: rb } = await b.platform.db.pool.query('select current_database() as db')
    expect(rb[0].db).toBe(ra[0].db)
  })

  it('counts OTP requests for one email on A and B together, then refuses on both', async () => {
    const email = `shared-${randomUUID().slice(0, 8)}@example.test`
    const ask = async (instance: 'A' | 'B') => {
      const payload = { email, type: 'client' }
      if (instance === 'A') {
        const res = await a.http.inject({ method: 'POST', url: OTP, payload })
        return { status: res.statusCode, body: res.json() }
      }
      const res = await fetch(`${b.base}${OTP}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      })
      return { status: res.status, body: await res.json() }
    }
    const order = ['A', 'B', 'A', 'B', 'A'] as const
    for (const [i, instance] of order.entries()) expect((await ask(instance)).status, `request ${i + 1} on ${instance}`).toBe(202)
    // Five in all: each instance alone has seen only two or three.
    const onB = await ask('B')
    expect(onB.status).toBe(429)
    expect(onB.body.error.code).toBe('rate_limited')
    expect((await ask('A')).status).toBe(429)
    // The counter lives in Redis, under this run's prefix.
    expect((await redis.keys(`${prefix}rl:*`)).length).toBeGreaterThan(0)
  })

  it('an instance without Redis keeps its own count (why REDIS_URL matters with two instances)', async () => {
    const solo = testConfig({ OTP_RATE_PER_EMAIL: String(PER_EMAIL) })
    const limiter = (await createPlatform(solo, { db: a.platform.db })).limiter({ name: 'scale-probe', points: 1, durationSeconds: 60 })
    const shared = a.platform.limiter({ name: 'scale-probe', points: 1, durationSeconds: 60 })
    const sharedB = b.platform.limiter({ name: 'scale-probe', points: 1, durationSeconds: 60 })
    expect((await shared.hit('k')).allowed).toBe(true)
    expect((await sharedB.hit('k')).allowed).toBe(false)
    expect((await limiter.hit('k')).allowed).toBe(true)
  })

  it('delivers a realtime event published through A to an SSE stream on B', async () => {
    const client = await aClient(a.platform)
    const stream = await openEventStream(`${b.base}/v1/onedesigner/stream?access_token=${encodeURIComponent(client.token)}`)
    try {
      expect(stream.status).toBe(200)
      await stream.until((t) => t.includes(': connected'))
      const id = await a.platform.db.kysely
        .transaction()
        .execute((tx) =>
          a.platform.notify.notify(tx, { app: 'onedesigner', userId: client.id, type: 'scale.probe', title: 'From instance A' }),
        )
      const text = await stream.until((t) => t.includes('event: notification'))
      expect(eventsNamed(text, 'notification')).toEqual([expect.objectContaining({ id, type: 'scale.probe' })])
    } finally {
      stream.close()
    }
  })
})
