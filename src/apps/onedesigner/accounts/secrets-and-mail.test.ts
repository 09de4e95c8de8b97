import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { anAdmin, bearer } from '../../../../test/support/onedesigner'
import { BASE, mailbox, post, requestCode, uniqueEmail, verify, wrong } from '../../../../test/support/onedesigner-accounts'

describe('codes and tokens never reach the logs', () => {
  let env: TestEnv
  let logs = ''
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString()
        done()
      },
    })
    // Trace level turns on request logging; no redaction, so nothing may be logged at all.
    env = await createTestEnv({ config: { LOG_LEVEL: 'trace' }, overrides: { log: pino({ level: 'trace' }, sink) } })
  })
  afterAll(() => env.close())

  it('through a whole sign-in, refresh, failure and logout', async () => {
    const secrets: string[] = []
    for (const type of ['client', 'designer'] as const) {
      const email = uniqueEmail(`log-${type}`)
      const code = await requestCode(env, email, type)
      secrets.push(code)
      await verify(env, { email, type, code: wrong(code) })
      const session = (await verify(env, { email, type, code })).json()
      secrets.push(session.accessToken, session.refreshToken)
      const refreshed = (await post(env, '/auth/refresh', { refreshToken: session.refreshToken })).json()
      secrets.push(refreshed.accessToken, refreshed.refreshToken)
      env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1)
      await post(env, '/auth/refresh', { refreshToken: session.refreshToken }) // reuse past the grace: refused
      await env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer({ token: refreshed.accessToken }) })
      await post(env, '/auth/logout', { refreshToken: refreshed.refreshToken })
    }
    const admin = await anAdmin(env.platform)
    const adminCode = await requestCode(env, admin.email, 'admin')
    secrets.push(adminCode)
    const adminSession = (await verify(env, { email: admin.email, type: 'admin', code: adminCode })).json()
    secrets.push(adminSession.accessToken, adminSession.refreshToken)
    await env.http.inject({ method: 'GET', url: `${BASE}/me`, headers: bearer({ token: adminSession.accessToken }) })

    expect(logs).toMatch(/otp issued/)
    expect(logs).toMatch(/incoming request/)
    for (const s of secrets) expect(logs).not.toContain(s)
    for (const s of secrets.filter((x) => x.length > 20)) expect(logs).not.toContain(s.split('.').pop())
  })
})

describe('mail over SMTP when SMTP_URL is set', () => {
  let env: TestEnv
  let smtp: SMTPServer
  const received: { to: string[]; data: string }[] = []
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, done) {
        let data = ''
        stream.on('data', (c: Buffer) => (data += c.toString()))
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), data })
          done()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const { port } = smtp.server.address() as AddressInfo
    env = await createTestEnv({ config: { SMTP_URL: `smtp://127.0.0.1:${port}` } })
  })
  afterAll(async () => {
    await env.close()
    await new Promise<void>((resolve) => smtp.close(() => resolve()))
  })

  it('delivers the code to the SMTP server and not to the dev mailbox', async () => {
    expect(env.platform.mailer.kind).toBe('smtp')
    const email = uniqueEmail('smtp')
    const res = await post(env, '/auth/otp', { email, type: 'client' })
    expect(res.statusCode).toBe(202)
    for (let i = 0; i < 200 && !received.some((m) => m.to.includes(email)); i++) await new Promise((r) => setTimeout(r, 20))
    const mail = received.find((m) => m.to.includes(email))!
    expect(mail).toBeDefined()
    const code = /^Subject: Your OneDesigner code: (\d{6})/m.exec(mail.data)?.[1]
    expect(code).toMatch(/^\d{6}$/)
    expect(mail.data).toMatch(/From: Matchbase <no-reply@matchbase.local>/)
    expect(await mailbox(env, email)).toEqual([])
    const session = await verify(env, { email, type: 'client', code })
    expect(session.statusCode).toBe(200)
  })

  it('answers 202 even when the SMTP server is down', async () => {
    const down = await createTestEnv({ config: { SMTP_URL: 'smtp://127.0.0.1:1' } })
    try {
      const res = await post(down, '/auth/otp', { email: uniqueEmail('down'), type: 'client' })
      expect(res.statusCode).toBe(202)
    } finally {
      await down.close()
    }
  })
})
