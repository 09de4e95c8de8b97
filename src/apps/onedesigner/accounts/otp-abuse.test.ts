// Login abuse (issue 10, item 7; docs/decisions/0020-abuse-limits.md): wrong codes are spent
// from the guessing address's budgets first, an email's lock is one fixed window that guesses
// during it cannot extend, and behind a trusted proxy X-Forwarded-For tells clients apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { BASE, freshIp, requestCode, uniqueEmail, verify, wrong } from '../../../../test/support/onedesigner-accounts'

const MIN = 60_000

describe('OneDesigner sign-in under abuse', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('100 wrong codes over 20 emails from one address: 429 with Retry-After after 30', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => uniqueEmail(`spray${i}`))
    const codes = []
    for (const email of emails) codes.push(await requestCode(env, email, 'client'))
    const attacker = freshIp()
    const answers = []
    for (let round = 0; round < 5; round++)
      for (const [i, email] of emails.entries()) {
        const res = await verify(env, { email, type: 'client', code: wrong(codes[i]!) }, attacker)
        answers.push(res)
      }
    const statuses = answers.map((a) => a.statusCode)
    expect(statuses.slice(0, 30).every((s) => s === 401 || s === 423)).toBe(true)
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true)
    const limited = answers[30]!
    expect(limited.json().error.code).toBe('rate_limited')
    const retry = Number(limited.headers['retry-after'])
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(600)
    // The owners, at their own addresses, are not affected.
    expect((await verify(env, { email: emails[0], type: 'client', code: codes[0] })).statusCode).toBe(200)
  })

  it('a stranger at one address cannot lock the owner out', async () => {
    const email = uniqueEmail('victim')
    await requestCode(env, email, 'client')
    const stranger = freshIp()
    const answers: number[] = []
    for (let i = 0; i < 25; i++)
      answers.push((await verify(env, { email, type: 'client', code: String(100_000 + i) }, stranger)).statusCode)
    expect(answers.slice(0, 4)).toEqual([401, 401, 401, 401])
    expect(answers.slice(4).every((s) => s === 423)).toBe(true)
    // The owner asks for a fresh code and signs in from their own address.
    const code = await requestCode(env, email, 'client')
    expect((await verify(env, { email, type: 'client', code })).statusCode).toBe(200)
  })

  it('strangers at many addresses lock the email for one window, which their further guesses cannot extend', async () => {
    const email = uniqueEmail('target')
    let code = await requestCode(env, email, 'client')
    const guess = (n: number) =>
      verify(env, { email, type: 'client', code: String(n).padStart(6, '0') === code ? '999999' : String(n).padStart(6, '0') }, freshIp())
    // 20 wrong codes, each from another address (so no address spends its own 5), lock the email.
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const res = await verify(env, { email, type: 'client', code: wrong(code) }, `10.99.${i}.1`)
      statuses.push(res.statusCode)
    }
    expect(statuses.slice(0, 19).every((s) => s === 401)).toBe(true)
    expect(statuses[19]).toBe(423)
    const owner = freshIp()
    code = await requestCode(env, email, 'client')
    const locked = await verify(env, { email, type: 'client', code }, owner)
    expect(locked.statusCode).toBe(423)
    expect(Number(locked.headers['retry-after'])).toBe(3600)

    // The strangers keep hammering from new addresses for the whole window: refused, not counted.
    for (let minute = 5; minute <= 55; minute += 5) {
      env.clock.advance(5 * MIN)
      for (let i = 0; i < 3; i++) expect((await guess(minute * 10 + i)).statusCode).toBe(423)
    }
    const almost = await verify(env, { email, type: 'client', code }, owner)
    expect(almost.statusCode).toBe(423)
    expect(Number(almost.headers['retry-after'])).toBeLessThanOrEqual(5 * 60)

    // Past the window the owner's fresh code works, however much was guessed during the lock.
    env.clock.advance(5 * MIN + 1000)
    code = await requestCode(env, email, 'client')
    expect((await verify(env, { email, type: 'client', code }, owner)).statusCode).toBe(200)
  })

  it('after a lock, a new lock needs a whole new budget of guesses', async () => {
    const email = uniqueEmail('relock')
    const code = await requestCode(env, email, 'client')
    for (let i = 0; i < 20; i++) await verify(env, { email, type: 'client', code: wrong(code) }, `10.98.${i}.1`)
    env.clock.advance(60 * MIN + 1000)
    const fresh = await requestCode(env, email, 'client')
    // One more wrong guess does not lock it again: the guesses that caused the lock are spent.
    const res = await verify(env, { email, type: 'client', code: wrong(fresh) }, freshIp())
    expect(res.statusCode).toBe(401)
    expect((await verify(env, { email, type: 'client', code: fresh })).statusCode).toBe(200)
  })
})

describe('client addresses behind a proxy (TRUST_PROXY)', () => {
  const xff = (env: TestEnv, email: string, code: string, forwardedFor: string) =>
    env.http.inject({
      method: 'POST',
      url: `${BASE}/auth/otp/verify`,
      payload: { email, type: 'client', code },
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': forwardedFor },
    })

  async function spray(env: TestEnv) {
    const email = uniqueEmail('proxied')
    const code = await requestCode(env, email, 'client')
    const first = []
    for (let i = 0; i < 4; i++) first.push((await xff(env, email, wrong(code), '203.0.113.7')).statusCode)
    const other = (await xff(env, email, wrong(code), '198.51.100.9')).statusCode
    return { first, other }
  }

  it('with the proxy trusted, X-Forwarded-For distinguishes clients', async () => {
    const env = await createTestEnv({ config: { TRUST_PROXY: '127.0.0.1', OTP_VERIFY_FAILURES_PER_IP: '3' } })
    try {
      const { first, other } = await spray(env)
      expect(first).toEqual([401, 401, 401, 429])
      expect(other).toBe(401)
    } finally {
      await env.close()
    }
  })

  it('without it, X-Forwarded-For is ignored: every caller is the socket address', async () => {
    const env = await createTestEnv({ config: { OTP_VERIFY_FAILURES_PER_IP: '3' } })
    try {
      const { first, other } = await spray(env)
      expect(first).toEqual([401, 401, 401, 429])
      expect(other).toBe(429)
    } finally {
      await env.close()
    }
  })
})
