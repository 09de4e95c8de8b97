// Tokens from an external identity provider, verified against a JWKS served on 127.0.0.1 with
// keys generated here: the outcomes a client of a Clerk- or Auth0-backed app would see.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../config'
import { ManualClock } from '../clock'
import { AppError } from '../http/errors'
import { createExternalIdentity, externalIdentity, type ExternalIdentityOptions } from './external-idp'

const ISSUER = 'https://idp.example.test'
const AUDIENCE = 'matchbase-onedesigner'

interface Signer {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  jwk: JWK
}
async function aKey(alg: 'RS256' | 'ES256', kid: string): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

/** A JWKS endpoint whose keys and health the test controls. */
const jwks = { keys: [] as JWK[], status: 200, body: undefined as string | undefined, fetches: 0 }
let server: http.Server
let jwksUrl: string
let rsa: Signer
let ec: Signer
let stranger: Signer

beforeAll(async () => {
  ;[rsa, ec, stranger] = await Promise.all([aKey('RS256', 'rsa-1'), aKey('ES256', 'ec-1'), aKey('RS256', 'not-published')])
  jwks.keys = [rsa.jwk, ec.jwk]
  server = http.createServer((_req, res) => {
    jwks.fetches++
    res.writeHead(jwks.status, { 'content-type': 'application/json' })
    res.end(jwks.body ?? JSON.stringify({ keys: jwks.keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function token(
  signer: Signer,
  o: { claims?: JWTPayload; iss?: string; aud?: string; exp?: number | string; kid?: string; sub?: string | null } = {},
) {
  const jwt = new SignJWT({ email: 'dana@example.test', name: 'Dana Designer', ...o.claims })
    .setProtectedHeader({ alg: signer.alg, kid: o.kid ?? signer.kid, typ: 'JWT' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt()
  if (o.sub !== null) jwt.setSubject(o.sub ?? 'user_2abc')
  if (o.exp !== undefined) jwt.setExpirationTime(o.exp)
  else jwt.setExpirationTime('10m')
  return jwt.sign(signer.privateKey)
}

const verifier = (o: Partial<ExternalIdentityOptions> = {}) =>
  externalIdentity({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0, timeoutMs: 2_000, ...o })

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}
async function unauthorized(p: Promise<unknown>, message: RegExp) {
  const err = await refusal(p)
  expect(err.code).toBe('unauthorized')
  expect(err.status).toBe(401)
  expect(err.message).toMatch(message)
}

describe('external identity provider tokens', () => {
  it('accepts a valid RS256 token and returns subject, email, name and claims', async () => {
    const user = await verifier().verify(await token(rsa, { claims: { org_id: 'org_9' } }))
    expect(user).toMatchObject({ subject: 'user_2abc', email: 'dana@example.test', name: 'Dana Designer' })
    expect(user.claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, org_id: 'org_9' })
  })

  it('accepts a valid ES256 token', async () => {
    expect((await verifier().verify(await token(ec, { sub: 'user_ec' }))).subject).toBe('user_ec')
  })

  it('leaves out an email the provider marks unverified', async () => {
    const user = await verifier().verify(await token(rsa, { claims: { email_verified: false } }))
    expect(user.email).toBeUndefined()
  })

  it('refuses an expired token, and judges expiry by the injected clock', async () => {
    await unauthorized(verifier().verify(await token(rsa, { exp: Math.floor(Date.now() / 1000) - 60 })), /expired/)
    const clock = new ManualClock()
    const fresh = await token(rsa, { exp: '10m' })
    expect((await verifier({ clock }).verify(fresh)).subject).toBe('user_2abc')
    clock.advance(11 * 60_000)
    await unauthorized(verifier({ clock }).verify(fresh), /expired/)
  })

  it('refuses a token from another issuer', async () => {
    await unauthorized(verifier().verify(await token(rsa, { iss: 'https://other-tenant.example.test' })), /issuer/)
  })

  it('refuses a token for another audience, and skips the check when none is configured', async () => {
    const forOther = await token(rsa, { aud: 'someone-else' })
    await unauthorized(verifier().verify(forOther), /audience/)
    expect((await verifier({ audience: undefined }).verify(forOther)).subject).toBe('user_2abc')
  })

  it('refuses alg=none and symmetric algorithms', async () => {
    const none = new UnsecuredJWT({ sub: 'user_2abc' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').encode()
    await unauthorized(verifier().verify(none), /algorithm/)
    const hs = await new SignJWT({ sub: 'user_2abc' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-secret-anyone-could-pick-0123456789'))
    await unauthorized(verifier().verify(hs), /algorithm/)
  })

  it('refuses a token signed by a key not in the JWKS, by kid or by signature', async () => {
    await unauthorized(verifier().verify(await token(stranger)), /does not publish/)
    await unauthorized(verifier().verify(await token(stranger, { kid: 'rsa-1' })), /signature/)
  })

  it('refuses tokens without sub or exp, and garbage', async () => {
    await unauthorized(verifier().verify(await token(rsa, { sub: null })), /"sub"/)
    const noExp = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(rsa.privateKey)
    await unauthorized(verifier().verify(noExp), /"exp"/)
    await unauthorized(verifier().verify('not.a.jwt'), /malformed|Invalid/)
    await unauthorized(verifier().verify(''), /malformed|Invalid/)
  })

  it('picks up a rotated key: a token with a new kid makes it refetch the JWKS', async () => {
    const v = verifier()
    expect((await v.verify(await token(rsa))).subject).toBe('user_2abc')
    const next = await aKey('RS256', 'rsa-2')
    await unauthorized(v.verify(await token(next)), /does not publish/)
    jwks.keys = [next.jwk, ec.jwk]
    try {
      expect((await v.verify(await token(next, { sub: 'user_rotated' }))).subject).toBe('user_rotated')
    } finally {
      jwks.keys = [rsa.jwk, ec.jwk]
    }
  })

  it('refetches for unknown kids at most once per cooldown', async () => {
    const v = verifier({ cooldownMs: 60_000 })
    const before = jwks.fetches
    await v.verify(await token(rsa))
    for (let i = 0; i < 5; i++) await unauthorized(v.verify(await token(stranger, { kid: `made-up-${i}` })), /does not publish/)
    expect(jwks.fetches - before).toBe(1)
  })

  it('answers unavailable (503) when the JWKS endpoint is down, upstream_failed (502) when it answers nonsense', async () => {
    const down = http.createServer()
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve))
    const deadUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}/jwks`
    await new Promise<void>((resolve) => down.close(() => resolve()))
    const err = await refusal(verifier({ jwksUrl: deadUrl }).verify(await token(rsa)))
    expect(err).toMatchObject({ code: 'unavailable', status: 503 })
    expect(err.message).toMatch(/could not be fetched/)

    for (const [status, body] of [
      [500, '{"error":"boom"}'],
      [200, '<html>maintenance</html>'],
      [200, '{"keys":"nope"}'],
    ] as const) {
      Object.assign(jwks, { status, body })
      try {
        expect((await refusal(verifier().verify(await token(rsa)))).code).toBe('upstream_failed')
      } finally {
        Object.assign(jwks, { status: 200, body: undefined })
      }
    }
  })
})

describe('external identity from config', () => {
  it('is off without IDP_JWKS_URL and then refuses every token', async () => {
    const off = createExternalIdentity(testConfig())
    expect(off.enabled).toBe(false)
    await unauthorized(off.verify(await token(rsa)), /not configured/)
  })

  it('verifies with IDP_JWKS_URL, IDP_ISSUER, IDP_AUDIENCE (comma-separated) and IDP_ALGORITHMS', async () => {
    const on = createExternalIdentity(
      testConfig({ IDP_JWKS_URL: jwksUrl, IDP_ISSUER: ISSUER, IDP_AUDIENCE: `other, ${AUDIENCE}`, IDP_ALGORITHMS: 'ES256' }),
    )
    expect(on.enabled).toBe(true)
    expect((await on.verify(await token(ec))).subject).toBe('user_2abc')
    await unauthorized(on.verify(await token(rsa)), /algorithm/)
  })

  it('refuses to start without an issuer or with unsafe algorithms', () => {
    expect(() => createExternalIdentity(testConfig({ IDP_JWKS_URL: jwksUrl }))).toThrow(/IDP_ISSUER/)
    for (const IDP_ALGORITHMS of ['HS256', 'none', 'RS256,HS512', ' '])
      expect(() => createExternalIdentity(testConfig({ IDP_JWKS_URL: jwksUrl, IDP_ISSUER: ISSUER, IDP_ALGORITHMS }))).toThrow(
        /IDP_ALGORITHMS/,
      )
  })
})
