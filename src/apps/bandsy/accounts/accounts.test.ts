import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { codeIn, freshIp, waitForMail } from '../../../../test/support/otp-mail'
import { BANDSY } from '../../../../test/support/bandsy'

const ISSUER = 'https://clerk.example.test'

async function signInByCode(env: TestEnv, email: string, extra: Record<string, unknown> = {}) {
  const before = (await env.http.inject({ method: 'GET', url: `/v1/dev/mailbox?email=${encodeURIComponent(email)}` })).json().messages
    .length
  const sent = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/otp`, payload: { email }, remoteAddress: freshIp() })
  expect(sent.statusCode).toBe(202)
  const mail = await waitForMail(env, email, before + 1)
  return env.http.inject({
    method: 'POST',
    url: `${BANDSY}/auth/otp/verify`,
    payload: { email, code: codeIn(mail[0].text), ...extra },
    remoteAddress: freshIp(),
  })
}

const userRow = (env: TestEnv, id: string) =>
  env.platform.db.kysely.selectFrom('bandsy.users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('Bandsy sign-in by email code', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('creates the musician on the first code, keyed by an external auth id, with a URL-safe unique username', async () => {
    const first = await signInByCode(env, 'Jo.Drums@Example.test', { displayName: 'Jo Drums' })
    expect(first.statusCode).toBe(200)
    const session = first.json()
    expect(session.user).toMatchObject({ email: 'jo.drums@example.test', role: 'musician' })
    const row = await userRow(env, session.user.id)
    expect(row).toMatchObject({ clerkId: 'email:jo.drums@example.test', username: 'jo-drums', displayName: 'Jo Drums' })

    // Another address with the same local part gets the next free username.
    const other = (await signInByCode(env, 'jo.drums@other.test')).json()
    expect((await userRow(env, other.user.id)).username).toBe('jo-drums-2')

    // Signing in again is the same account.
    const again = (await signInByCode(env, 'jo.drums@example.test')).json()
    expect(again.user.id).toBe(session.user.id)

    const me = await env.http.inject({ method: 'GET', url: `${BANDSY}/me`, headers: { authorization: `Bearer ${session.accessToken}` } })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ username: 'jo-drums', missingForMatching: ['location', 'instrument', 'genre'], plan: 'free' })
    // The match profile was created with the account.
    expect(me.json().matchProfile).toMatchObject({ searchRadius: 50, lookingFor: 'any', profileComplete: false })
  })

  it('rotates refresh tokens and refuses a Bandsy token at OneDesigner', async () => {
    const s = (await signInByCode(env, 'rotate@example.test')).json()
    const r = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/refresh`, payload: { refreshToken: s.refreshToken } })
    expect(r.statusCode).toBe(200)
    env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1) // past the grace for twin refreshes
    const reuse = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/refresh`, payload: { refreshToken: s.refreshToken } })
    expect(reuse.statusCode).toBe(401)
    const foreign = await env.http.inject({
      method: 'GET',
      url: '/v1/onedesigner/me',
      headers: { authorization: `Bearer ${s.accessToken}` },
    })
    expect(foreign.statusCode).toBe(401)
    expect(foreign.json().error.message).toMatch(/not issued for onedesigner/)
  })

  it('refuses sign-in and refresh for a deleted account', async () => {
    const s = (await signInByCode(env, 'gone@example.test')).json()
    const del = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/me`, headers: { authorization: `Bearer ${s.accessToken}` } })
    expect(del.statusCode).toBe(204)
    const refresh = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/refresh`, payload: { refreshToken: s.refreshToken } })
    expect(refresh.statusCode).toBe(401)
    const again = await signInByCode(env, 'gone@example.test')
    expect(again.statusCode).toBe(403)
    expect(again.json().error.message).toMatch(/deleted/)
  })

  it('names the bad field in 400s', async () => {
    const r = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/auth/otp/verify`,
      payload: { email: 'x@example.test', code: '12ab' },
    })
    expect(r.statusCode).toBe(400)
    expect(r.json().error.message).toMatch(/body\.code/)
  })

  it('answers 404 for provider tokens when no provider is configured', async () => {
    const r = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/external`, payload: { token: 'x'.repeat(40) } })
    expect(r.statusCode).toBe(404)
    expect(r.json().error.message).toMatch(/IDP_JWKS_URL/)
  })
})

describe('Bandsy sign-in with an identity provider token (JWKS)', () => {
  let env: TestEnv
  let server: http.Server
  let key: { privateKey: CryptoKey; jwk: JWK }
  let stranger: CryptoKey

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true })
    key = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' } }
    stranger = (await generateKeyPair('RS256')).privateKey
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: [key.jwk] }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
    env = await createTestEnv({ config: { IDP_JWKS_URL: url, IDP_ISSUER: ISSUER } })
  })
  afterAll(async () => {
    await env.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const idpToken = (sub: string, claims: Record<string, unknown> = {}, signWith: CryptoKey = key.privateKey) =>
    new SignJWT({ email: `${sub}@example.test`, name: 'Riley Bass', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signWith)
  const exchange = (token: string) => env.http.inject({ method: 'POST', url: `${BANDSY}/auth/external`, payload: { token } })

  it("creates the account on the first exchange with the provider's subject as its auth id, and finds it after", async () => {
    const first = await exchange(await idpToken('user_2riley'))
    expect(first.statusCode).toBe(200)
    const s = first.json()
    const row = await userRow(env, s.user.id)
    expect(row).toMatchObject({
      clerkId: 'user_2riley',
      username: 'riley-bass',
      displayName: 'Riley Bass',
      email: 'user_2riley@example.test',
    })
    const again = await exchange(await idpToken('user_2riley'))
    expect(again.json().user.id).toBe(s.user.id)
    const me = await env.http.inject({
      method: 'GET',
      url: `${BANDSY}/me`,
      headers: { authorization: `Bearer ${again.json().accessToken}` },
    })
    expect(me.json().id).toBe(s.user.id)
  })

  it('refuses a token signed by a key the provider does not publish, and an expired one', async () => {
    const forged = await exchange(await idpToken('user_2mallory', {}, stranger))
    expect(forged.statusCode).toBe(401)
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject('user_2late')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 1800)
      .sign(key.privateKey)
    expect((await exchange(expired)).statusCode).toBe(401)
  })

  it('refuses a provider account whose email already signs in by code (no takeover by email)', async () => {
    await signInByCode(env, 'taken@example.test')
    const r = await exchange(await idpToken('user_2taker', { email: 'taken@example.test' }))
    expect(r.statusCode).toBe(409)
  })
})
