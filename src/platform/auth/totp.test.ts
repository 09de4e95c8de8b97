// The admin second factor over HTTP (OneDesigner is the app with admins): enrolment, recovery
// codes, step-up, replay, codes of another secret, rate limits, strict input, and the guard that
// refuses admin routes without it.
import { generateSecret } from 'otplib'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { aClient, type TestUser } from '../../../test/support/onedesigner'
import { totpCode } from '../../../test/support/second-factor'

const BASE = '/v1/onedesigner'
let counter = 0

describe('admin second factor (TOTP)', () => {
  let env: TestEnv
  let client: TestUser
  let ipCounter = 0
  const ip = () => `10.9.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`

  beforeAll(async () => {
    env = await createTestEnv({ config: { TOTP_FAILURES_PER_USER: '3' } })
    client = await aClient(env.platform)
  })
  afterAll(() => env.close())

  /** An admin with only the email sign-in token, as /auth/otp/verify gives it. */
  async function signedInAdmin() {
    const email = `totp-admin-${process.pid}-${++counter}@example.test`
    const row = await env.platform.db.kysely
      .insertInto('onedesigner.admins')
      .values({ email, name: 'Tess Totp' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const token = await env.platform.tokens.sign({ sub: row.id, role: 'admin', app: 'onedesigner', email, sid: crypto.randomUUID() })
    return { id: row.id, email, token }
  }
  const post = (token: string, path: string, payload?: Record<string, unknown>, from = ip()) =>
    env.http.inject({ method: 'POST', url: `${BASE}${path}`, headers: { authorization: `Bearer ${token}` }, payload, remoteAddress: from })
  const listDesigners = (token: string) =>
    env.http.inject({ method: 'GET', url: `${BASE}/admin/designers`, headers: { authorization: `Bearer ${token}` } })

  async function enrolled() {
    const admin = await signedInAdmin()
    const enrol = await post(admin.token, '/auth/admin/second-factor')
    expect(enrol.statusCode).toBe(201)
    const { secret, otpauthUri } = enrol.json()
    const confirm = await post(admin.token, '/auth/admin/second-factor/confirm', { code: await totpCode(env.platform, secret) })
    expect(confirm.statusCode).toBe(200)
    return { ...admin, secret, otpauthUri, recoveryCodes: confirm.json().recoveryCodes as string[] }
  }

  it('refuses admin routes to a sign-in token without a second factor (403 second_factor_required)', async () => {
    const admin = await signedInAdmin()
    const res = await listDesigners(admin.token)
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'second_factor_required', message: expect.stringMatching(/step-up/) })
  })

  it('enrols: an otpauth URI for a QR code, ten recovery codes once confirmed, stored hashed', async () => {
    const admin = await enrolled()
    const uri = new URL(admin.otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(uri.searchParams.get('secret')).toBe(admin.secret)
    expect(decodeURIComponent(uri.pathname)).toContain(admin.email)
    expect(admin.recoveryCodes).toHaveLength(10)
    expect(new Set(admin.recoveryCodes).size).toBe(10)
    const stored = await env.platform.db.kysely
      .selectFrom('platform.adminRecoveryCodes')
      .select('codeHash')
      .where('userId', '=', admin.id)
      .execute()
    expect(stored).toHaveLength(10)
    for (const code of admin.recoveryCodes) expect(JSON.stringify(stored)).not.toContain(code)
    const factor = await env.platform.db.kysely
      .selectFrom('platform.adminSecondFactors')
      .select('secretSealed')
      .where('userId', '=', admin.id)
      .executeTakeFirstOrThrow()
    expect(factor.secretSealed).not.toContain(admin.secret)
    // A confirmed factor is not replaced by whoever holds the sign-in token.
    const again = await post(admin.token, '/auth/admin/second-factor')
    expect(again.statusCode).toBe(409)
  })

  it('refuses a wrong confirmation code and a code of another secret', async () => {
    const admin = await signedInAdmin()
    const { secret } = (await post(admin.token, '/auth/admin/second-factor')).json()
    const other = await post(admin.token, '/auth/admin/second-factor/confirm', { code: await totpCode(env.platform, generateSecret()) })
    expect(other.statusCode).toBe(401)
    expect(other.json().error.code).toBe('invalid_code')
    const right = await post(admin.token, '/auth/admin/second-factor/confirm', { code: await totpCode(env.platform, secret) })
    expect(right.statusCode).toBe(200)
  })

  it('steps up with a code: a short-lived token with amr that admin routes accept; the same code twice is refused', async () => {
    const admin = await enrolled()
    const code = await totpCode(env.platform, admin.secret, 1)
    const res = await post(admin.token, '/auth/admin/step-up', { code })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.amr).toEqual(['otp', 'totp'])
    expect(body.expiresIn).toBe(900)
    const claims = decodeJwt(body.accessToken)
    expect(claims).toMatchObject({ sub: admin.id, role: 'admin', amr: ['otp', 'totp'], aud: 'onedesigner' })
    expect(claims.exp! - claims.iat!).toBe(900)
    expect((await listDesigners(body.accessToken)).statusCode).toBe(200)

    const replay = await post(admin.token, '/auth/admin/step-up', { code })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().error).toMatchObject({ code: 'invalid_code', message: expect.stringMatching(/already used/) })
    // Nor an older code of the same window.
    const older = await post(admin.token, '/auth/admin/step-up', { code: await totpCode(env.platform, admin.secret, 0) })
    expect(older.statusCode).toBe(401)

    const actions = await env.platform.db.kysely
      .selectFrom('platform.auditLog')
      .select(['action', 'actorId', 'subjectId', 'at'])
      .where('actorId', '=', admin.id)
      .orderBy('id')
      .execute()
    expect(actions.map((a) => a.action)).toEqual([
      'admin.second_factor.enrolment_started',
      'admin.second_factor.enrolled',
      'admin.second_factor.step_up',
      'designers.list', // the admin's sensitive read with the new token
      'admin.second_factor.step_up_failed',
      'admin.second_factor.step_up_failed',
    ])
  })

  it('steps up with a recovery code exactly once; a code of another secret never', async () => {
    const admin = await enrolled()
    const foreign = await post(admin.token, '/auth/admin/step-up', { code: await totpCode(env.platform, generateSecret(), 1) })
    expect(foreign.statusCode).toBe(401)

    const recovery = admin.recoveryCodes[3]!
    const first = await post(admin.token, '/auth/admin/step-up', { recoveryCode: recovery.toUpperCase() })
    expect(first.statusCode).toBe(200)
    expect(first.json()).toMatchObject({ amr: ['otp', 'recovery_code'], recoveryCodesLeft: 9 })
    expect((await listDesigners(first.json().accessToken)).statusCode).toBe(200)

    const reused = await post(admin.token, '/auth/admin/step-up', { recoveryCode: recovery })
    expect(reused.statusCode).toBe(401)
    expect(reused.json().error.code).toBe('invalid_code')
    // Another admin's recovery code is not this admin's.
    const other = await enrolled()
    const crossed = await post(admin.token, '/auth/admin/step-up', { recoveryCode: other.recoveryCodes[0] })
    expect(crossed.statusCode).toBe(401)
  })

  it('limits wrong codes per admin: 429 with Retry-After, even for a right code, across addresses', async () => {
    const admin = await enrolled()
    for (let i = 0; i < 3; i++) expect((await post(admin.token, '/auth/admin/step-up', { code: '000000' })).statusCode).toBe(401)
    const limited = await post(admin.token, '/auth/admin/step-up', { code: await totpCode(env.platform, admin.secret, 1) })
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('rate_limited')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('answers bad input with 400 and the wrong people with 401/403', async () => {
    const admin = await enrolled()
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ code: '12345' }, /code/],
      [{ code: '123456', extra: true }, /extra|unrecognized/i],
      [{ code: '123456', recoveryCode: admin.recoveryCodes[0] }, /./],
      [{}, /./],
      [{ recoveryCode: 'short' }, /./],
    ]
    for (const [payload, message] of cases) {
      const res = await post(admin.token, '/auth/admin/step-up', payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(JSON.stringify(res.json().error)).toMatch(message)
    }
    // The recovery code sent with a code above was not spent.
    expect((await post(admin.token, '/auth/admin/step-up', { recoveryCode: admin.recoveryCodes[0] })).statusCode).toBe(200)

    const anonymous = await env.http.inject({ method: 'POST', url: `${BASE}/auth/admin/step-up`, payload: { code: '123456' } })
    expect(anonymous.statusCode).toBe(401)
    const notAdmin = await post(client.token, '/auth/admin/step-up', { code: '123456' })
    expect(notAdmin.statusCode).toBe(403)
    expect(notAdmin.json().error.code).toBe('forbidden')
    const notEnrolled = await signedInAdmin()
    const early = await post(notEnrolled.token, '/auth/admin/step-up', { code: '123456' })
    expect(early.statusCode).toBe(403)
    expect(early.json().error.code).toBe('second_factor_required')
    const nothingToConfirm = await post(notEnrolled.token, '/auth/admin/second-factor/confirm', { code: '123456' })
    expect(nothingToConfirm.statusCode).toBe(409)
  })

  it('keeps the step-up token in the session: ending the session refuses it', async () => {
    const admin = await enrolled()
    const { accessToken } = (await post(admin.token, '/auth/admin/step-up', { code: await totpCode(env.platform, admin.secret, 1) })).json()
    const sid = decodeJwt(admin.token).sid as string
    expect(decodeJwt(accessToken).sid).toBe(sid)
    await env.platform.revocations.endSession('onedesigner', sid)
    expect((await listDesigners(accessToken)).statusCode).toBe(401)
  })
})
