// The session revocation list (issue 10, item 4): checked in memory by tokens.verify (the token
// cache included), stored so a restarted or new instance loads it, broadcast to every instance
// (Postgres NOTIFY, or Redis pub/sub when REDIS_URL is set), and reloaded as a safety net.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, onServer, type TestEnv } from '../../../test/support/test-env'
import { portOpen } from '../../../test/support/pg-cluster'
import { aMusician, BANDSY } from '../../../test/support/bandsy'
import { testConfig } from '../config'
import { openDatabase } from '../db/database'
import { createPlatform, type Platform } from '../platform'
import { buildHttp } from '../http/server'
import type { Http } from '../app'
import { ALL_APPS } from '../../apps'
import { createSessions } from './sessions'

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379'
const redisUp = await portOpen(Number(new URL(REDIS_URL).port || 6379))
if (!redisUp) console.warn(`[revocations] Redis broadcast test skipped: Redis is not reachable at ${REDIS_URL} (set TEST_REDIS_URL)`)

// A long reload interval, so what arrives within a test arrived by broadcast, not by reload.
const NO_RELOAD = { SESSION_REVOCATION_RELOAD_SECONDS: '300' }

interface Instance {
  platform: Platform
  http: Http
  close(): Promise<void>
}

/** Another API instance on the same database: a platform (and, on a server, a pool) of its own. */
async function anotherInstance(env: TestEnv, settings: Record<string, string>): Promise<Instance> {
  const config = testConfig(settings)
  const db = onServer ? await openDatabase(config, { url: env.databaseUrl, directUrl: env.databaseDirectUrl }) : env.platform.db
  const platform = await createPlatform(config, { db, clock: env.clock })
  const http = await buildHttp(platform, ALL_APPS, { docs: false })
  await http.ready()
  return {
    platform,
    http,
    async close() {
      await http.close()
      platform.redis?.disconnect()
      if (onServer) await platform.db.close()
    },
  }
}

const me = (http: Http, token: string) => http.inject({ method: 'GET', url: `${BANDSY}/me`, headers: { authorization: `Bearer ${token}` } })

/** A Bandsy musician with a real session (a sid in the access token). */
async function signedIn(env: TestEnv) {
  const m = await aMusician(env.platform)
  const session = await createSessions(env.platform, 'bandsy').start(env.platform.db.kysely, { id: m.id, role: 'musician', email: m.email })
  return { ...m, session }
}

describe('session revocation list', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ config: NO_RELOAD })
  })
  afterAll(() => env.close())

  it('access tokens carry their session id, the refresh-token family', async () => {
    const { session } = await signedIn(env)
    const claims = await env.platform.tokens.verify(session.accessToken, 'bandsy')
    const row = await env.platform.db.kysely
      .selectFrom('platform.refreshTokens')
      .select('family')
      .where('userId', '=', claims.sub)
      .executeTakeFirstOrThrow()
    expect(claims.sid).toBe(row.family)
  })

  it('the verified-token cache never lets a revoked token through', async () => {
    const { session } = await signedIn(env)
    const claims = await env.platform.tokens.verify(session.accessToken, 'bandsy') // verified in full, now remembered
    await env.platform.tokens.verify(session.accessToken, 'bandsy') // a cache hit
    await env.platform.revocations.endSession('bandsy', claims.sid as string)
    await expect(env.platform.tokens.verify(session.accessToken, 'bandsy')).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/session has ended/),
    })
    // Another app's session with the same id is not touched.
    expect(env.platform.revocations.refusal({ ...claims, app: 'onedesigner' })).toBeUndefined()
  })

  it("ending a user's sessions refuses every token issued up to then, and none issued later", async () => {
    const userId = randomUUID()
    const sign = () => env.platform.tokens.sign({ sub: userId, role: 'musician', app: 'bandsy', sid: randomUUID() }, env.clock.now())
    const before = await sign()
    await env.platform.tokens.verify(before, 'bandsy')
    await env.platform.revocations.endUser('bandsy', userId)
    await expect(env.platform.tokens.verify(before, 'bandsy')).rejects.toMatchObject({
      message: expect.stringMatching(/sessions have been ended/),
    })
    env.clock.advance(1_000) // iat has whole seconds: a token from the revocation's own second is refused too
    expect((await env.platform.tokens.verify(await sign(), 'bandsy')).sub).toBe(userId)
  })

  it('is stored: a new (or restarted) instance refuses what was revoked before it started', async () => {
    const a = await signedIn(env)
    const out = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/logout`, payload: { refreshToken: a.session.refreshToken } })
    expect(out.statusCode).toBe(200)
    const b = await anotherInstance(env, NO_RELOAD)
    try {
      expect((await me(b.http, a.session.accessToken)).statusCode).toBe(401)
    } finally {
      await b.close()
    }
  })

  it('is broadcast through Postgres NOTIFY: logout on instance A, refused on instance B within moments', async () => {
    const b = await anotherInstance(env, NO_RELOAD)
    try {
      const a = await signedIn(env)
      expect((await me(b.http, a.session.accessToken)).statusCode).toBe(200) // B has verified and cached it
      const out = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/logout`, payload: { refreshToken: a.session.refreshToken } })
      expect(out.statusCode).toBe(200)
      expect((await me(env.http, a.session.accessToken)).statusCode).toBe(401) // A: at once
      await expect.poll(async () => (await me(b.http, a.session.accessToken)).statusCode, { timeout: 5_000 }).toBe(401)
      // A user-wide end (account deleted) travels the same way.
      const c = await signedIn(env)
      expect((await me(b.http, c.session.accessToken)).statusCode).toBe(200)
      await createSessions(env.platform, 'bandsy').endAllForUser(env.platform.db.kysely, c.id)
      await expect.poll(async () => (await me(b.http, c.session.accessToken)).statusCode, { timeout: 5_000 }).toBe(401)
    } finally {
      await b.close()
    }
  })

  it('the periodic reload finds entries no broadcast announced (a missed message)', async () => {
    const b = await anotherInstance(env, { SESSION_REVOCATION_RELOAD_SECONDS: '1' })
    try {
      const a = await signedIn(env)
      const claims = await b.platform.tokens.verify(a.session.accessToken, 'bandsy')
      // Written straight to the table: nobody is told.
      const now = env.clock.now()
      await env.platform.db.kysely
        .insertInto('platform.sessionRevocations')
        .values({
          app: 'bandsy',
          kind: 'session',
          subject: claims.sid as string,
          revokedBefore: now,
          expiresAt: new Date(now.getTime() + 3_600_000),
        })
        .execute()
      await expect.poll(() => b.platform.revocations.refusal(claims), { timeout: 5_000 }).toMatch(/ended/)
    } finally {
      await b.close()
    }
  })
})

describe.skipIf(!redisUp)('session revocation list with REDIS_URL', () => {
  const settings = { ...NO_RELOAD, REDIS_URL, REDIS_KEY_PREFIX: `mbtest:${process.pid}:${randomUUID().slice(0, 8)}:` }
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ config: settings })
  })
  afterAll(() => env.close())

  it('is broadcast through Redis pub/sub: logout on instance A, refused on instance B within moments', async () => {
    const b = await anotherInstance(env, settings)
    try {
      const a = await signedIn(env)
      expect((await me(b.http, a.session.accessToken)).statusCode).toBe(200)
      const out = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/logout`, payload: { refreshToken: a.session.refreshToken } })
      expect(out.statusCode).toBe(200)
      await expect.poll(async () => (await me(b.http, a.session.accessToken)).statusCode, { timeout: 5_000 }).toBe(401)
    } finally {
      await b.close()
    }
  })

  it('a deployment with another key prefix hears nothing', async () => {
    const other = await anotherInstance(env, { ...settings, REDIS_KEY_PREFIX: `mbtest:${process.pid}:other:` })
    try {
      const a = await signedIn(env)
      const claims = await other.platform.tokens.verify(a.session.accessToken, 'bandsy')
      await env.platform.revocations.endSession('bandsy', claims.sid as string)
      await new Promise((r) => setTimeout(r, 300))
      expect(other.platform.revocations.refusal(claims)).toBeUndefined()
    } finally {
      await other.close()
    }
  })
})
