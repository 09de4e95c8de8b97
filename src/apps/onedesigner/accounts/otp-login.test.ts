import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, anAdmin, bearer } from '../../../../test/support/onedesigner'
import { readMailbox } from '../../../platform'
import {
  BASE,
  freshIp,
  mailbox,
  post,
  requestCode,
  signIn,
  uniqueEmail,
  verify,
  waitForMail,
  wrong,
} from '../../../../test/support/onedesigner-accounts'

const MIN = 60_000

describe('OneDesigner sign-in by email code', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const tokenRows = (email: string) =>
    env.platform.db.kysely.selectFrom('onedesigner.authTokens').selectAll().where('email', '=', email).orderBy('createdAt').execute()

  describe('asking for a code', () => {
    it('answers 202 with the same shape and mails a 6-digit code to the dev mailbox', async () => {
      const email = uniqueEmail('new')
      const res = await post(env, '/auth/otp', { email, type: 'client', purpose: 'signup' })
      expect(res.statusCode).toBe(202)
      expect(res.json()).toEqual({ status: 'sent', expiresInSeconds: 600 })
      const messages = await waitForMail(env, email, 1)
      expect(messages[0].text).toMatch(/\b\d{6}\b/)
      const stored = await readMailbox(env.platform.db.kysely, email.toUpperCase())
      expect(stored).toHaveLength(1)
      expect(stored[0].textBody).toBe(messages[0].text)
    })

    it('stores only an HMAC of the code keyed by the pepper, never the code', async () => {
      const email = uniqueEmail('hmac')
      const code = await requestCode(env, email, 'client')
      const [row] = await tokenRows(email)
      expect(row.code).not.toContain(code)
      const expected = createHmac('sha256', env.config.OTP_PEPPER).update(`onedesigner\n${email}\n${code}`).digest('hex')
      expect(row.code).toBe(expected)
      expect(row).toMatchObject({ type: 'client', purpose: 'login', attempts: 0, verified: false })
      expect(new Date(row.expiresAt).getTime() - new Date(row.createdAt!).getTime()).toBe(10 * MIN)
    })

    it('gives the same answer for existing and unknown addresses, and mails no code to an unknown admin', async () => {
      const client = await aClient(env.platform)
      const admin = await anAdmin(env.platform)
      const unknownAdmin = uniqueEmail('not-admin')
      const answers = await Promise.all([
        post(env, '/auth/otp', { email: client.email, type: 'client' }),
        post(env, '/auth/otp', { email: uniqueEmail('nobody'), type: 'client' }),
        post(env, '/auth/otp', { email: unknownAdmin, type: 'admin' }),
        post(env, '/auth/otp', { email: admin.email, type: 'admin' }),
      ])
      for (const a of answers) {
        expect(a.statusCode).toBe(202)
        expect(a.body).toBe(answers[0].body)
        expect(a.headers['content-length']).toBe(answers[0].headers['content-length'])
      }
      await waitForMail(env, admin.email, 1)
      await waitForMail(env, client.email, 1)
      expect(await mailbox(env, unknownAdmin)).toHaveLength(0)
      // The same database work was done for the unknown admin.
      expect(await tokenRows(unknownAdmin)).toHaveLength(1)
    })

    it('takes about as long for existing and unknown addresses (median of 30)', async () => {
      const known = await Promise.all(Array.from({ length: 30 }, () => anAdmin(env.platform)))
      const timings = { known: [] as number[], unknown: [] as number[] }
      for (let i = 0; i < 30; i++) {
        for (const kind of i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const)) {
          const email = kind === 'known' ? known[i].email : uniqueEmail('ghost')
          const t0 = performance.now()
          const res = await post(env, '/auth/otp', { email, type: 'admin' })
          timings[kind].push(performance.now() - t0)
          expect(res.statusCode).toBe(202)
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
      const [a, b] = [median(timings.known), median(timings.unknown)]
      expect(Math.abs(a - b)).toBeLessThan(Math.max(15, 0.75 * Math.max(a, b)))
    })

    it('limits codes per email per hour with 429 and Retry-After', async () => {
      const email = uniqueEmail('spam')
      for (let i = 0; i < env.config.OTP_RATE_PER_EMAIL; i++)
        expect((await post(env, '/auth/otp', { email, type: 'client' })).statusCode).toBe(202)
      const res = await post(env, '/auth/otp', { email: email.toUpperCase(), type: 'designer' })
      expect(res.statusCode).toBe(429)
      expect(res.json().error.code).toBe('rate_limited')
      expect(res.json().error.message).toMatch(/this email/)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(3600)
    })

    it('limits codes per IP per hour with 429 and Retry-After', async () => {
      const ip = freshIp()
      for (let i = 0; i < env.config.OTP_RATE_PER_IP; i++)
        expect((await post(env, '/auth/otp', { email: uniqueEmail('ip'), type: 'client' }, ip)).statusCode).toBe(202)
      const res = await post(env, '/auth/otp', { email: uniqueEmail('ip'), type: 'client' }, ip)
      expect(res.statusCode).toBe(429)
      expect(res.json().error.message).toMatch(/this address/)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      // Another address is unaffected.
      expect((await post(env, '/auth/otp', { email: uniqueEmail('ip'), type: 'client' })).statusCode).toBe(202)
    })
  })

  describe('signing up and in', () => {
    it('creates a verified client with no credits on the first verified code', async () => {
      const email = uniqueEmail('Casey').replace('casey', 'Casey')
      const session = await signIn(env, email, 'client', { firstName: 'Casey' })
      expect(session.user).toMatchObject({ email: email.toLowerCase(), role: 'client' })
      expect(session.expiresIn).toBe(env.config.JWT_TTL_SECONDS)
      const claims = await env.platform.tokens.verify(session.accessToken, 'onedesigner')
      expect(claims).toMatchObject({ sub: session.user.id, role: 'client', email: email.toLowerCase() })
      const row = await env.platform.db.kysely
        .selectFrom('onedesigner.clients')
        .selectAll()
        .where('id', '=', session.user.id)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ matchCredits: 0, isVerified: true, firstName: 'Casey' })
      const me = await env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer({ token: session.accessToken }) })
      expect(me.json()).toMatchObject({ role: 'client', credits: 0, isVerified: true, email: email.toLowerCase() })
      // Signing in again finds the same account.
      const again = await signIn(env, email.toUpperCase(), 'client')
      expect(again.user.id).toBe(session.user.id)
    })

    it('creates an unapproved, verified designer and records the login time', async () => {
      const email = uniqueEmail('dana')
      const session = await signIn(env, email, 'designer')
      const row = await env.platform.db.kysely
        .selectFrom('onedesigner.designers')
        .selectAll()
        .where('id', '=', session.user.id)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ isApproved: false, isVerified: true, firstName: '', lastName: '' })
      expect(new Date(row.lastLoginAt!).getTime()).toBe(env.clock.now().getTime())
      const me = await env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer({ token: session.accessToken }) })
      expect(me.json()).toMatchObject({ role: 'designer', isApproved: false, approvalStatus: 'pending' })
    })

    it('signs in an existing designer to the same account', async () => {
      const designer = await aDesigner(env.platform, { approved: true })
      const session = await signIn(env, designer.email, 'designer')
      expect(session.user.id).toBe(designer.id)
    })

    it('signs in an existing admin, records last login and audits it', async () => {
      const admin = await anAdmin(env.platform)
      const session = await signIn(env, admin.email, 'admin')
      expect(session.user).toMatchObject({ id: admin.id, role: 'admin' })
      const row = await env.platform.db.kysely
        .selectFrom('onedesigner.admins')
        .selectAll()
        .where('id', '=', admin.id)
        .executeTakeFirstOrThrow()
      expect(row.lastLoginAt).not.toBeNull()
      // (anAdmin's own second-factor enrolment is audited too: admin.second_factor.*)
      const audit = await env.platform.db.kysely
        .selectFrom('platform.auditLog')
        .selectAll()
        .where('actorId', '=', admin.id)
        .where('action', 'not like', 'admin.second\\_factor.%')
        .execute()
      expect(audit).toEqual([
        expect.objectContaining({ app: 'onedesigner', action: 'admin.login', actorRole: 'admin', subjectId: admin.id }),
      ])
    })

    it('never signs up an admin, and audits failed admin logins', async () => {
      const email = uniqueEmail('wannabe')
      await post(env, '/auth/otp', { email, type: 'admin' })
      const res = await verify(env, { email, type: 'admin', code: '123456' })
      expect(res.statusCode).toBe(401)
      expect(await env.platform.db.kysely.selectFrom('onedesigner.admins').select('id').where('email', '=', email).execute()).toEqual([])
      const audit = await env.platform.db.kysely.selectFrom('platform.auditLog').selectAll().where('subjectId', '=', email).execute()
      expect(audit).toEqual([expect.objectContaining({ action: 'admin.login_failed' })])
    })

    it('keeps a client code from signing in as a designer', async () => {
      const email = uniqueEmail('cross')
      const code = await requestCode(env, email, 'client')
      expect((await verify(env, { email, type: 'designer', code })).statusCode).toBe(401)
      expect((await verify(env, { email, type: 'client', code })).statusCode).toBe(200)
    })
  })

  describe('code rules', () => {
    it('expires a code after 10 minutes', async () => {
      const fresh = uniqueEmail('fresh')
      const stale = uniqueEmail('stale')
      const freshCode = await requestCode(env, fresh, 'client')
      const staleCode = await requestCode(env, stale, 'client')
      env.clock.advance(10 * MIN - 1000)
      expect((await verify(env, { email: fresh, type: 'client', code: freshCode })).statusCode).toBe(200)
      env.clock.advance(2000)
      const res = await verify(env, { email: stale, type: 'client', code: staleCode })
      expect(res.statusCode).toBe(401)
      expect(res.json().error).toMatchObject({ code: 'invalid_code' })
      expect(res.json().error.message).toMatch(/expired/)
    })

    it('accepts a code once, and only the newest code of an email', async () => {
      const email = uniqueEmail('once')
      const first = await requestCode(env, email, 'client')
      const second = await requestCode(env, email, 'client')
      if (first !== second) expect((await verify(env, { email, type: 'client', code: first })).statusCode).toBe(401)
      expect((await verify(env, { email, type: 'client', code: second })).statusCode).toBe(200)
      expect((await verify(env, { email, type: 'client', code: second })).statusCode).toBe(401)
    })

    it('locks the email after 5 wrong codes, even for the right code and new codes, until the window passes', async () => {
      // From one address: its budget on the email is 5 (decision 0020).
      const ip = freshIp()
      const email = uniqueEmail('guess')
      const code = await requestCode(env, email, 'client')
      for (let left = 4; left >= 1; left--) {
        const res = await verify(env, { email, type: 'client', code: wrong(code) }, ip)
        expect(res.statusCode).toBe(401)
        expect(res.json().error.details).toEqual({ attemptsLeft: left })
      }
      const fifth = await verify(env, { email, type: 'client', code: wrong(code) }, ip)
      expect(fifth.statusCode).toBe(423)
      expect(fifth.json().error.code).toBe('locked')
      expect(fifth.json().error.message).toMatch(/Too many wrong codes/)
      expect(Number(fifth.headers['retry-after'])).toBe(3600)
      expect((await verify(env, { email, type: 'client', code }, ip)).statusCode).toBe(423)

      const newCode = await requestCode(env, email, 'client')
      const stillLocked = await verify(env, { email, type: 'client', code: newCode }, ip)
      expect(stillLocked.statusCode).toBe(423)

      env.clock.advance(30 * MIN)
      const later = await verify(env, { email, type: 'client', code: newCode }, ip)
      expect(later.statusCode).toBe(423)
      expect(Number(later.headers['retry-after'])).toBe(1800)

      env.clock.advance(31 * MIN)
      const afterWindow = await requestCode(env, email, 'client')
      expect((await verify(env, { email, type: 'client', code: afterWindow }, ip)).statusCode).toBe(200)
    })

    it('counts wrong codes across new codes of the same email', async () => {
      // From one address: its budget on the email is 5 (decision 0020).
      const ip = freshIp()
      const email = uniqueEmail('spread')
      const first = await requestCode(env, email, 'client')
      for (let i = 0; i < 3; i++) expect((await verify(env, { email, type: 'client', code: wrong(first) }, ip)).statusCode).toBe(401)
      const second = await requestCode(env, email, 'designer')
      const fourth = await verify(env, { email, type: 'designer', code: wrong(second) }, ip)
      expect(fourth.json().error.details).toEqual({ attemptsLeft: 1 })
      expect((await verify(env, { email, type: 'designer', code: wrong(second) }, ip)).statusCode).toBe(423)
      expect((await verify(env, { email, type: 'designer', code: second }, ip)).statusCode).toBe(423)
    })

    it('keeps the count when expired codes are cleaned up', async () => {
      // From one address: its budget on the email is 5 (decision 0020).
      const ip = freshIp()
      const email = uniqueEmail('cleanup')
      const code = await requestCode(env, email, 'client')
      for (let i = 0; i < 5; i++) await verify(env, { email, type: 'client', code: wrong(code) }, ip)
      env.clock.advance(11 * MIN)
      await sql`select onedesigner.cleanup_expired_tokens(${env.clock.now()})`.execute(env.platform.db.kysely)
      const next = await requestCode(env, email, 'client')
      expect((await verify(env, { email, type: 'client', code: next }, ip)).statusCode).toBe(423)
    })

    it('starts a fresh budget after a successful verification', async () => {
      const email = uniqueEmail('reset')
      const code = await requestCode(env, email, 'client')
      for (let i = 0; i < 4; i++) await verify(env, { email, type: 'client', code: wrong(code) })
      expect((await verify(env, { email, type: 'client', code })).statusCode).toBe(200)
      const next = await requestCode(env, email, 'client')
      const res = await verify(env, { email, type: 'client', code: wrong(next) })
      expect(res.json().error.details).toEqual({ attemptsLeft: 4 })
      expect((await verify(env, { email, type: 'client', code: next })).statusCode).toBe(200)
    })
  })

  describe('bad input', () => {
    const cases: [string, unknown, RegExp][] = [
      ['/auth/otp', {}, /body\.email/],
      ['/auth/otp', { email: 'not-an-email', type: 'client' }, /body\.email/],
      ['/auth/otp', { email: 'a@example.test', type: 'superuser' }, /body\.type/],
      ['/auth/otp', { email: 'a@example.test', type: 'client', purpose: 'reset' }, /body\.purpose/],
      ['/auth/otp', { email: `${'a'.repeat(250)}@example.test`, type: 'client' }, /body\.email/],
      ['/auth/otp', { email: 42, type: 'client' }, /body\.email/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'client' }, /body\.code/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'client', code: '12345' }, /body\.code/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'client', code: '12345a' }, /body\.code/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'client', code: 123456 }, /body\.code/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'client', code: '123456', firstName: 'x'.repeat(101) }, /body\.firstName/],
      ['/auth/otp/verify', { email: 'a@example.test', type: 'nobody', code: '123456' }, /body\.type/],
    ]
    it.each(cases)('POST %s %j -> 400 naming the field', async (path, body, field) => {
      const res = await post(env, path, body)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('validation_failed')
      expect(res.json().error.message).toMatch(field)
    })

    it.each(['/auth/otp', '/auth/otp/verify'])('POST %s with broken or missing JSON -> 4xx JSON', async (path) => {
      const broken = await env.http.inject({
        method: 'POST',
        url: `${BASE}${path}`,
        headers: { 'content-type': 'application/json' },
        payload: '{"email":',
      })
      expect(broken.statusCode).toBe(400)
      expect(broken.json().error.code).toBe('invalid_json')
      const none = await env.http.inject({ method: 'POST', url: `${BASE}${path}` })
      expect(none.statusCode).toBeGreaterThanOrEqual(400)
      expect(none.statusCode).toBeLessThan(500)
      expect(none.json().error).toBeDefined()
      for (const [type, payload] of [
        ['text/plain', 'hi'],
        ['text/xml', '<a/>'],
      ]) {
        const other = await env.http.inject({ method: 'POST', url: `${BASE}${path}`, headers: { 'content-type': type }, payload })
        expect(other.statusCode).toBeGreaterThanOrEqual(400)
        expect(other.statusCode).toBeLessThan(500)
        expect(other.json().error.code).toMatch(/validation_failed|unsupported_media_type/)
      }
    })

    it('answers a wrong code for an address that never asked with 401', async () => {
      const res = await verify(env, { email: uniqueEmail('never'), type: 'client', code: '000000' })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('invalid_code')
    })
  })
})
