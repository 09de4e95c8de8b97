import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, anAdmin, bearer } from '../../../../test/support/onedesigner'
import { tokenSigner } from '../../../platform'
import { BASE, post, signIn, uniqueEmail } from '../../../../test/support/onedesigner-accounts'

const DAY = 86_400_000
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

describe('OneDesigner sessions', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const me = (token: string) => env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer({ token }) })

  describe('refresh and logout', () => {
    it('rotates the refresh token: the new pair works, the old token does not', async () => {
      const s = await signIn(env, uniqueEmail('rot'), 'client')
      const res = await post(env, '/auth/refresh', { refreshToken: s.refreshToken })
      expect(res.statusCode).toBe(200)
      const next = res.json()
      expect(next.refreshToken).not.toBe(s.refreshToken)
      expect(next.user).toEqual(s.user)
      expect((await me(next.accessToken)).statusCode).toBe(200)
      const row = await env.platform.db.kysely
        .selectFrom('platform.refreshTokens')
        .selectAll()
        .where('userId', '=', s.user.id)
        .orderBy('createdAt')
        .execute()
      expect(row).toHaveLength(2)
      expect(row.every((r) => r.tokenHash !== s.refreshToken && r.tokenHash !== next.refreshToken)).toBe(true)
      expect(row.find((r) => r.revokedAt)?.replacedBy).toBe(row.find((r) => !r.revokedAt)?.id)
    })

    it('ends the whole session when a used refresh token comes back', async () => {
      const s = await signIn(env, uniqueEmail('reuse'), 'designer')
      const second = (await post(env, '/auth/refresh', { refreshToken: s.refreshToken })).json()
      const third = (await post(env, '/auth/refresh', { refreshToken: second.refreshToken })).json()
      env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1) // past the grace for twin refreshes
      const replay = await post(env, '/auth/refresh', { refreshToken: s.refreshToken })
      expect(replay.statusCode).toBe(401)
      expect(replay.json().error.code).toBe('unauthorized')
      expect((await post(env, '/auth/refresh', { refreshToken: third.refreshToken })).statusCode).toBe(401)
    })

    it('logs out: the refresh token stops working; logging out twice is fine', async () => {
      const s = await signIn(env, uniqueEmail('bye'), 'client')
      const out = await post(env, '/auth/logout', { refreshToken: s.refreshToken })
      expect(out.statusCode).toBe(200)
      expect(out.json()).toEqual({ status: 'signed_out' })
      expect((await post(env, '/auth/logout', { refreshToken: s.refreshToken })).statusCode).toBe(200)
      expect((await post(env, '/auth/refresh', { refreshToken: s.refreshToken })).statusCode).toBe(401)
    })

    it('expires refresh tokens after REFRESH_TTL_DAYS', async () => {
      const a = await signIn(env, uniqueEmail('ttl-a'), 'client')
      const b = await signIn(env, uniqueEmail('ttl-b'), 'client')
      env.clock.advance(env.config.REFRESH_TTL_DAYS * DAY - 60_000)
      expect((await post(env, '/auth/refresh', { refreshToken: a.refreshToken })).statusCode).toBe(200)
      env.clock.advance(120_000)
      const res = await post(env, '/auth/refresh', { refreshToken: b.refreshToken })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.message).toMatch(/expired/)
    })

    it('refuses unknown refresh tokens and those of a deleted account', async () => {
      expect((await post(env, '/auth/refresh', { refreshToken: 'mbr_' + 'x'.repeat(43) })).statusCode).toBe(401)
      const s = await signIn(env, uniqueEmail('gone'), 'client')
      await env.platform.db.kysely.deleteFrom('onedesigner.clients').where('id', '=', s.user.id).execute()
      expect((await post(env, '/auth/refresh', { refreshToken: s.refreshToken })).statusCode).toBe(401)
    })

    it('refuses a refresh token of another app', async () => {
      const client = await aClient(env.platform)
      const { createRefreshTokens } = await import('../../../platform')
      const other = await createRefreshTokens(env.platform, 'bandsy').issue(env.platform.db.kysely, { userId: client.id, role: 'client' })
      expect((await post(env, '/auth/refresh', { refreshToken: other.token })).statusCode).toBe(401)
    })
  })

  describe('GET /me', () => {
    it('returns the client with credits', async () => {
      const client = await aClient(env.platform, { credits: 3 })
      const res = await me(client.token)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ role: 'client', id: client.id, email: client.email, credits: 3, firstName: 'Casey' })
    })

    it('returns the designer with approval state', async () => {
      const approved = await aDesigner(env.platform, { approved: true })
      expect((await me(approved.token)).json()).toMatchObject({
        role: 'designer',
        id: approved.id,
        isApproved: true,
        approvalStatus: 'approved',
      })
      const rejected = await aDesigner(env.platform, { approved: false })
      await env.platform.db.kysely
        .updateTable('onedesigner.designers')
        .set({ rejectionReason: 'Portfolio link broken' })
        .where('id', '=', rejected.id)
        .execute()
      expect((await me(rejected.token)).json()).toMatchObject({ approvalStatus: 'rejected', rejectionReason: 'Portfolio link broken' })
    })

    it('returns the admin', async () => {
      const admin = await anAdmin(env.platform)
      expect((await me(admin.token)).json()).toMatchObject({ role: 'admin', id: admin.id, email: admin.email, name: 'Ada Admin' })
    })

    it('reads under RLS: a token whose role does not own the row finds nothing', async () => {
      const client = await aClient(env.platform)
      const asDesigner = await env.platform.tokens.sign({ sub: client.id, role: 'designer', app: 'onedesigner' }, env.clock.now())
      const res = await me(asDesigner)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('not_found')
    })
  })

  describe('tokens requireRole refuses (401)', () => {
    let client: Awaited<ReturnType<typeof aClient>>
    beforeAll(async () => {
      client = await aClient(env.platform)
    })

    const refused = async (token: string | undefined, header?: string) => {
      const res = await env.http.inject({
        method: 'GET',
        url: `${BASE}/me`,
        headers: header !== undefined ? { authorization: header } : token ? bearer({ token }) : {},
      })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('unauthorized')
      return res.json().error.message as string
    }

    it('accepts the genuine token (control)', async () => {
      expect((await me(client.token)).statusCode).toBe(200)
    })

    it('no token or a malformed header', async () => {
      await refused(undefined)
      await refused(undefined, 'Basic abc')
      await refused(undefined, 'Bearer')
      await refused('not.a.jwt')
    })

    it('a forged token (payload changed, signature kept)', async () => {
      const [h, p, s] = client.token.split('.')
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
      await refused([h, b64({ ...payload, role: 'admin' }), s].join('.'))
      await refused([h, p, s.slice(0, -4) + (s.endsWith('AAAA') ? 'BBBB' : 'AAAA')].join('.'))
    })

    it('an expired token', async () => {
      const old = await env.platform.tokens.sign(
        { sub: client.id, role: 'client', app: 'onedesigner' },
        new Date(Date.now() - 2 * env.config.JWT_TTL_SECONDS * 1000),
      )
      expect(await refused(old)).toMatch(/expired/)
    })

    it('a token for another app (bandsy)', async () => {
      const bandsy = await env.platform.tokens.sign({ sub: client.id, role: 'client', app: 'bandsy' })
      expect(await refused(bandsy)).toMatch(/onedesigner/)
    })

    it('alg=none', async () => {
      const payload = JSON.parse(Buffer.from(client.token.split('.')[1], 'base64url').toString())
      await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`)
      await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}`)
    })

    it('a token signed with another key', async () => {
      const other = tokenSigner('another-secret-that-is-long-enough-0123456789', 3600)
      await refused(await other.sign({ sub: client.id, role: 'client', app: 'onedesigner' }))
    })
  })

  describe('bad input', () => {
    const cases: [string, unknown][] = [
      ['/auth/refresh', {}],
      ['/auth/refresh', { refreshToken: '' }],
      ['/auth/refresh', { refreshToken: 'short' }],
      ['/auth/refresh', { refreshToken: 'x'.repeat(257) }],
      ['/auth/refresh', { refreshToken: 1234567890123456 }],
      ['/auth/logout', {}],
      ['/auth/logout', { refreshToken: null }],
      ['/auth/logout', { refreshToken: 'short' }],
    ]
    it.each(cases)('POST %s %j -> 400 naming refreshToken', async (path, body) => {
      const res = await post(env, path, body)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('validation_failed')
      expect(res.json().error.message).toMatch(/body\.refreshToken/)
    })

    it.each(['/auth/refresh', '/auth/logout'])('POST %s with broken JSON -> 400 JSON', async (path) => {
      const res = await env.http.inject({
        method: 'POST',
        url: `${BASE}${path}`,
        headers: { 'content-type': 'application/json' },
        payload: '[',
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('invalid_json')
    })

    it('GET /me refuses an unknown query parameter by name, and other methods with 4xx JSON', async () => {
      const client = await aClient(env.platform)
      expect((await env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer(client) })).statusCode).toBe(200)
      // One strict input policy (issue 10, item 14): an unknown query parameter is named, not ignored.
      const extra = await env.http.inject({ method: 'GET', url: `${BASE}/me?x=1`, headers: bearer(client) })
      expect(extra.statusCode).toBe(400)
      expect(extra.json().error.message).toMatch(/querystring\.x|query.*x/)
      const del = await env.http.inject({ method: 'DELETE', url: `${BASE}/me`, headers: bearer(client) })
      expect(del.statusCode).toBeGreaterThanOrEqual(400)
      expect(del.statusCode).toBeLessThan(500)
      expect(del.json().error).toBeDefined()
    })
  })
})
