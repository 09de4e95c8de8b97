// Auth proof suite, over a real socket, for every registered app (through its testing provider,
// test/support/apps/<app>.ts). What each app's accounts tests already prove (each bad token on
// GET /me, the OTP rules, rate limits, logs) is not repeated; this adds:
// - "send me a code" gives the same body, and the same median time over 200 requests, for an
//   address that has an account and one that does not;
// - every protected route of the OpenAPI document refuses each kind of bad token with 401 JSON;
// - an OTP brute force over HTTP locks after 5 wrong codes, and new codes do not reset the lock.
import { Worker } from 'node:worker_threads'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { testingOf } from '../support/app-registry'
import type { Actor } from '../support/app-testing'
import { tokenSigner } from '../../src/platform/auth/jwt'
import { codeIn, uniqueEmail, waitForMail, wrong } from '../support/otp-mail'

const SAMPLES = 200
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2
}

/**
 * Times requests from a worker thread, as a caller on another machine would: the server's work
 * after its answer has left (mail sent in the background) must not count, and in this process it
 * would, because the test's own fetch shares the server's event loop.
 */
function measureFromAnotherThread(url: string, bodies: Record<string, unknown>[]) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    ;(async () => {
      const out = []
      for (const payload of workerData.bodies) {
        const t0 = performance.now()
        const res = await fetch(workerData.url, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        })
        const body = await res.text()
        out.push({ status: res.status, body, ms: performance.now() - t0 })
      }
      parentPort.postMessage(out)
    })().catch((err) => parentPort.postMessage({ error: String(err) }))`
  return new Promise<{ status: number; body: string; ms: number }[]>((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, bodies } })
    worker.once('message', (m) => {
      void worker.terminate()
      if (m.error) reject(new Error(m.error))
      else resolve(m)
    })
    worker.once('error', reject)
  })
}

interface OpenApi {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: unknown; parameters?: { in: string; name: string; required?: boolean }[] }>
  >
}
const providers = await testingOf()
const withOtp = providers.flatMap((t) => (t.otp ? [{ app: t.name, otp: t.otp }] : []))
/** The protected routes of the document of the apps this server runs (docs/openapi.json's, plus any test-only app's). */
const protectedRoutesOf = (openapi: OpenApi) =>
  Object.entries(openapi.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => Array.isArray(op.security) && op.security.length > 0)
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  )
let protectedRoutes: ReturnType<typeof protectedRoutesOf> = []

describe('auth proof', () => {
  let env: TestEnv
  let base: string

  beforeAll(async () => {
    // The limits would stop the timing run long before 200 requests; they have their own tests.
    env = await createTestEnv({ config: { OTP_RATE_PER_EMAIL: '100000', OTP_RATE_PER_IP: '100000' } })
    await env.http.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(env.http.server.address() as AddressInfo).port}`
    protectedRoutes = protectedRoutesOf(env.http.swagger() as unknown as OpenApi)
  })
  afterAll(() => env?.close())

  const call = async (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) }
  }

  describe('"send me a code" gives nothing away', () => {
    for (const { app, otp } of withOtp)
      for (const account of otp.kinds) {
        const askCode = (email: string) => call('POST', `/v1/${app}/auth/otp`, { body: otp.body(email, account.type) })
        const type = `${app}${account.type ? ` ${account.type}` : ''}`
        // A statistical check on a shared 2-core machine: a rerun (retry) separates a real timing
        // difference, which repeats, from a burst of load from other test files, which does not.
        it(`answers ${type} addresses with and without an account with the same body and median time (${SAMPLES} each)`, {
          retry: 2,
        }, async () => {
          const known: Actor[] = []
          for (let i = 0; i < SAMPLES; i++) known.push(await account.known(env.platform))
          // Warm-up, so the first requests' compilation and connections count for neither side.
          for (let i = 0; i < 20; i++) await askCode(uniqueEmail('warm'))
          await sleep(50)

          // Alternate which goes first, so drift and any after-effect of the previous request cancel.
          const plan: { kind: 'known' | 'unknown'; email: string }[] = []
          for (let i = 0; i < SAMPLES; i++)
            for (const kind of i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const))
              plan.push({ kind, email: kind === 'known' ? known[i]!.email : uniqueEmail(`ghost-${app}`) })
          const answers = await measureFromAnotherThread(
            `${base}/v1/${app}/auth/otp`,
            plan.map((x) => otp.body(x.email, account.type)),
          )
          const times = { known: [] as number[], unknown: [] as number[] }
          const bodies = { known: new Set<string>(), unknown: new Set<string>() }
          answers.forEach((a, i) => {
            expect(a.status).toBe(202)
            times[plan[i].kind].push(a.ms)
            bodies[plan[i].kind].add(a.body)
          })
          expect([...bodies.known]).toEqual([...bodies.unknown])
          expect(bodies.known.size).toBe(1)
          const [k, u] = [median(times.known), median(times.unknown)]
          const diff = Math.abs(k - u) / Math.max(k, u)
          console.log(`otp ${type}: median known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms, difference ${(diff * 100).toFixed(1)}%`)
          expect(diff).toBeLessThan(0.1)
          // Only addresses with an account of this kind got mail, where codes do not sign up.
          if (account.mailsOnlyAccounts) {
            await waitForMail(env, known[SAMPLES - 1]!.email, 1)
            const ghost = uniqueEmail(`ghost-${app}`)
            await askCode(ghost)
            await sleep(200)
            const res = await call('GET', `/v1/dev/mailbox?email=${encodeURIComponent(ghost)}`)
            expect(res.json().messages).toHaveLength(0)
          }
        })
      }
  })

  describe('every protected route refuses bad tokens with 401 JSON', () => {
    /** Per app, a genuine user's token and claims; each defective token is made from the route's own app's. */
    const genuine: Record<string, { token: string; claims: { sub: string; role: string; app: string } }> = {}
    const appOf = (path: string) => path.split('/')[2]!
    const tokens: Record<string, (app: string) => Promise<string | undefined>> = {}
    beforeAll(async () => {
      for (const t of providers) {
        const u = await t.user(env.platform, t.roles[0]!)
        genuine[t.name] = { token: u.token, claims: { sub: u.id, role: u.role, app: u.app } }
      }
      const apps = Object.keys(genuine)
      const payloadOf = (app: string) => JSON.parse(Buffer.from(genuine[app]!.token.split('.')[1]!, 'base64url').toString())
      Object.assign(tokens, {
        'no token': async () => undefined,
        // The same user and role, issued for another app of this server.
        'another app': (app: string) =>
          env.platform.tokens.sign({ ...genuine[app]!.claims, app: apps.find((a) => a !== app) ?? 'not-an-app' }),
        expired: (app: string) =>
          env.platform.tokens.sign(genuine[app]!.claims, new Date(Date.now() - 2 * env.config.JWT_TTL_SECONDS * 1000)),
        'alg=none': async (app: string) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payloadOf(app))}.`,
        'another key': (app: string) => tokenSigner('another-secret-that-is-long-enough-0123456789', 3600).sign(genuine[app]!.claims),
      })
    })

    it('the document lists the protected routes', () => {
      expect(protectedRoutes.length).toBeGreaterThanOrEqual(30)
      // Every app with a protected route has a genuine caller: its provider is registered.
      expect(new Set(protectedRoutes.map((r) => appOf(r.path)))).toEqual(new Set(Object.keys(genuine)))
    })

    it('the genuine token gets past the guard on every route (control)', async () => {
      for (const { method, path } of protectedRoutes) {
        if (path.endsWith('/stream')) continue // an endless event stream; its guard is checked below
        // Deleting the caller's account ends the genuine token's sessions (as it must): checked last.
        if (method === 'DELETE' && path.endsWith('/me')) continue
        const res = await call(method, path.replace(/\{[^}]+\}/g, randomUUID()), {
          body: method === 'GET' ? undefined : {},
          headers: { authorization: `Bearer ${genuine[appOf(path)]!.token}`, 'idempotency-key': randomUUID() },
        })
        expect(res.status, `${method} ${path}`).not.toBe(401)
      }
      for (const { method, path } of protectedRoutes.filter((r) => r.method === 'DELETE' && r.path.endsWith('/me'))) {
        const res = await call(method, path, { headers: { authorization: `Bearer ${genuine[appOf(path)]!.token}` } })
        expect(res.status, `${method} ${path}`).not.toBe(401)
      }
    })

    for (const kind of ['no token', 'another app', 'expired', 'alg=none', 'another key']) {
      it(`${kind}: 401 on each of them`, async () => {
        const failures: string[] = []
        for (const { method, path } of protectedRoutes) {
          const token = await tokens[kind]!(appOf(path))
          const url = path.replace(/\{[^}]+\}/g, randomUUID())
          // A body and headers that would pass if the guard let the request through, so a 400
          // cannot hide a missing check; and with none at all, which must not reach validation first.
          for (const body of method === 'GET' ? [undefined] : [undefined, {}]) {
            const res = await call(method, url, {
              body,
              headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'idempotency-key': randomUUID() },
            })
            const ok =
              res.status === 401 &&
              /application\/json/.test(res.headers.get('content-type') ?? '') &&
              res.json().error?.code === 'unauthorized'
            if (!ok)
              failures.push(`${method} ${path} (${body === undefined ? 'no body' : 'body {}'}): ${res.status} ${res.text.slice(0, 120)}`)
          }
        }
        expect(failures).toEqual([])
      })
    }
  })

  describe.each(withOtp)('OTP brute force over HTTP: $app', ({ app, otp }) => {
    // The kind that signs up by code: a session for it would make an account, which must not appear.
    const type = (otp.kinds.find((k) => !k.mailsOnlyAccounts) ?? otp.kinds[0]!).type
    const askCode = (email: string) => call('POST', `/v1/${app}/auth/otp`, { body: otp.body(email, type) })
    const verify = (email: string, code: string) => call('POST', `/v1/${app}/auth/otp/verify`, { body: { ...otp.body(email, type), code } })
    const readCode = async (email: string, nth: number) => codeIn((await waitForMail(env, email, nth))[0].text)

    it('locks after 5 wrong codes (423); new codes and the right code do not get through', async () => {
      const email = uniqueEmail(`brute-${app}`)
      expect((await askCode(email)).status).toBe(202)
      const code = await readCode(email, 1)
      const answers: number[] = []
      // An attacker walks the code space; the 5th wrong guess locks the email.
      for (let guess = 0; answers.length < 5; guess++) {
        const attempt = String(guess).padStart(6, '0')
        if (attempt === code) continue
        answers.push((await verify(email, attempt)).status)
      }
      expect(answers).toEqual([401, 401, 401, 401, 423])
      // Locked: more guesses, and the right code, all answer 423 with a JSON error.
      for (const attempt of ['000100', '999999', code]) {
        const res = await verify(email, attempt)
        expect(res.status).toBe(423)
        expect(res.json().error.code).toBe('locked')
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      }
      // Asking for new codes does not reset the budget: three fresh codes, each refused.
      for (let n = 2; n <= 4; n++) {
        expect((await askCode(email)).status).toBe(202)
        const fresh = await readCode(email, n)
        expect((await verify(email, wrong(fresh))).status).toBe(423)
        expect((await verify(email, fresh)).status).toBe(423)
      }
      // No session was ever issued: no account exists for this address.
      expect(await otp.hasAccount(env.platform, email)).toBe(false)
    })

    it('parallel guesses over separate sockets cannot spend more than 5', async () => {
      const email = uniqueEmail(`brute-par-${app}`)
      await askCode(email)
      const code = await readCode(email, 1)
      const guesses = Array.from({ length: 40 }, (_, i) => String(500_000 + i).padStart(6, '0')).filter((g) => g !== code)
      const statuses = (await Promise.all(guesses.map((g) => verify(email, g)))).map((r) => r.status)
      expect(statuses.filter((s) => s === 401)).toHaveLength(4)
      // The rest are refused unchecked: the email's lock (423) or, once this address has spent its
      // wrong codes across emails, the address's limit (429, docs/decisions/0020-abuse-limits.md).
      expect(statuses.filter((s) => s !== 401 && s !== 423 && s !== 429)).toEqual([])
      expect(statuses.filter((s) => s === 423).length).toBeGreaterThan(0)
      expect([423, 429]).toContain((await verify(email, code)).status)
    })
  })
})
