// Hostile input: requests generated from the OpenAPI document for every route, sent without a
// token and with valid tokens of each role, with real ids of existing rows mixed in so that the
// services run, not only validation. Asserts: no 5xx; every error is { error: { code, message,
// details? } } with a code from the closed list and its status; every response matches the
// route's documented schema for its status.
//
// Reproduce a run: FUZZ_SEED=<seed printed in the summary> npx vitest run test/fuzz
// More requests:   FUZZ_REQUESTS=50000 npx vitest run test/fuzz
import type { LightMyRequestResponse } from 'fastify'
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, onServer, type TestEnv } from '../support/test-env'
import {
  addKinds,
  authPlan,
  headerSafe,
  hostileString,
  kindOfField,
  kindOfPath,
  operationsOf,
  requestArb,
  type AuthKind,
  type AuthPlan,
  type FuzzRequest,
  type Operation,
  type RequestContext,
} from '../support/fuzz-openapi'
import { openApiDocument } from '../../src/platform/http/openapi'
import { ERROR_STATUS, type ErrorCode } from '../../src/platform/http/errors'
import { LOCAL_WEBHOOK_SECRET } from '../../src/platform/ledger/payments'
import { TEST_APPS } from '../support/test-apps'
import { testingOf } from '../support/app-registry'
import type { Actor } from '../support/app-testing'

const SEED = Number(process.env.FUZZ_SEED ?? 1_337_2024)
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_400)
/** Requests per route per round; rounds interleave routes so state changes meet other routes. */
const CHUNK = 10
/** A request still unanswered after this long is a failure (a hang), not a slow answer. */
const ANSWER_MS = 5_000
/**
 * Statuses any route may answer without listing them: a body the framework cannot read. Each must
 * still be the documented error shape with the matching code.
 */
const FRAMEWORK_ERRORS: Record<number, ErrorCode[]> = {
  400: ['invalid_json', 'bad_request'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Failure {
  route: string
  status: number
  problem: string
  request: string
}

describe('hostile input over every route of the OpenAPI document', () => {
  let env: TestEnv
  let ops: Operation[]
  /** Real ids by kind of row ('' holds all of them). */
  const ids = new Map<string, string[]>([['', []]])
  const idSet = new Set<string>()
  const emails: string[] = []
  const known = new Map<string, string[]>()
  const auth = new Map<AuthKind, string[]>()
  const appRoles = new Map<string, string[]>()
  let plan: AuthPlan

  const addId = (v: unknown, kind: string | undefined) => {
    if (typeof v !== 'string' || !UUID.test(v)) return
    if (kind && !idSet.has(`${kind}:${v}`)) {
      idSet.add(`${kind}:${v}`)
      const list = ids.get(kind) ?? ids.set(kind, []).get(kind)!
      if (list.length < 100) list.push(v)
    }
    if (!idSet.has(v) && ids.get('')!.length < 400) {
      idSet.add(v)
      ids.get('')!.push(v)
    }
  }
  /** Ids in successful answers join the pools, so later requests reach rows made by earlier ones. */
  const harvest = (v: unknown, kind: string | undefined, key = '', depth = 0): void => {
    if (depth > 6 || v === null || typeof v !== 'object') {
      if (key === 'id') addId(v, kind)
      else if (key.endsWith('Id')) addId(v, kindOfField(key))
      return
    }
    if (Array.isArray(v)) v.slice(0, 20).forEach((x) => harvest(x, kind, key, depth + 1))
    else for (const [k, x] of Object.entries(v)) harvest(x, kindOfField(k) ?? kind, k, depth + 1)
  }

  beforeAll(async () => {
    env = await createTestEnv()
    const p = env.platform
    ops = operationsOf(JSON.parse(await openApiDocument(p, TEST_APPS)))

    // Every registered app makes its rows and names its tokens, through its testing provider.
    const apps: { name: string; draw: string[]; roles: Record<string, string> }[] = []
    const principals: Actor[] = []
    for (const t of await testingOf()) {
      addKinds(t.fuzz.kinds)
      const made = await t.fuzz.seed({
        env,
        addId,
        harvest: (answer, path) => harvest(answer, kindOfPath(path)),
        addEmail: (e) => emails.push(e),
        addKnown: (name, values) => known.set(name, [...(known.get(name) ?? []), ...values]),
      })
      if (made.principals.length < 2) throw new Error(`${t.name}'s fuzz seed names fewer than two principals`)
      for (const [kind, { headers }] of Object.entries(made.kinds)) auth.set(`${t.name}:${kind}`, headers)
      apps.push({ name: t.name, draw: made.draw, roles: Object.fromEntries(Object.entries(made.kinds).map(([k, v]) => [k, v.role])) })
      principals.push(...made.principals.slice(0, 2))
      appRoles.set(t.name, t.roles)
    }
    plan = authPlan(apps)

    // Bad tokens of every app, forged from its principals: a user since deleted (every role),
    // another app's audience, expired, tampered with, or not a token at all.
    const now = p.clock.now()
    const sign = (sub: string, role: string, app: string, at = now) => p.tokens.sign({ sub, role, app }, at)
    const b = (t: string) => `Bearer ${t}`
    const deleted: string[] = []
    for (const [app, roles] of appRoles) for (const r of roles) deleted.push(b(await sign(randomUUID(), r, app)))
    const otherApp: string[] = []
    const expired: string[] = []
    const tampered: string[] = []
    const garbage = ['Bearer', 'Bearer ', 'Bearer a.b.c', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(8_000)}`]
    for (let i = 0; i < principals.length; i += 2) {
      const [first, second] = [principals[i]!, principals[i + 1]!]
      const [head, body, sig] = first.token.split('.') as [string, string, string]
      const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), role: 'admin' })).toString(
        'base64url',
      )
      const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${body}.`
      // An audience no registered app has.
      for (const u of [first, second]) otherApp.push(b(await sign(u.id, u.role, 'not-an-app')))
      expired.push(b(await sign(first.id, first.role, first.app, new Date(now.getTime() - 30 * 86_400_000))))
      tampered.push(
        b(`${head}.${forgedBody}.${sig}`),
        b(noneAlg),
        b(`${head}.${body}.${sig.slice(0, -2)}AA`),
        b(await sign(first.id, 'superuser', first.app)),
      )
      garbage.push(`Bearer ${first.token} extra`, `Bearer ${first.token}, Bearer ${second.token}`, `Token ${first.token}`, first.token)
    }
    auth.set('none', [])
    auth.set('deletedUser', deleted)
    auth.set('otherApp', otherApp)
    auth.set('expired', expired)
    auth.set('tampered', tampered)
    auth.set('garbage', [...garbage, ...fc.sample(hostileString, { seed: SEED, numRuns: 20 }).map((s) => headerSafe(`Bearer ${s}`))])
    console.log(`[fuzz] apps ${[...appRoles.keys()].join(', ')}; token kinds ${[...auth.keys()].join(', ')}`)
  })
  afterAll(() => env?.close())

  it(`sends at least ${REQUESTS} hostile requests: no 5xx, every answer as documented`, { timeout: 600_000 }, async () => {
    const ctx: RequestContext = {
      pools: { ids: (kind = '') => ids.get(kind) ?? [], emails: () => emails, known: (name) => known.get(name) },
      authorization: (kind, n) => {
        const list = auth.get(kind) ?? []
        return list.length ? list[n % list.length] : undefined
      },
      webhookSecret: env.config.STRIPE_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET,
      allowedRoles: (key) => allowedRoles.get(key),
      auth: plan,
    }
    // Learnt from the guard's answers ("This needs the client or designer role"): later rounds
    // send mostly tokens that pass it. Deterministic, as the answers are.
    const allowedRoles = new Map<string, string[]>()
    const arbs = ops.map((op) => requestArb(op, ctx))
    const perRoute = Math.ceil(REQUESTS / ops.length)
    const failures: Failure[] = []
    const byClass: Record<string, number> = {}
    const byStatus: Record<number, number> = {}
    const covered = new Set<string>()
    const reached = new Set<string>()
    let sent = 0
    let unsendable = 0
    let genMs = 0
    const routeMs = new Map<string, number>()
    const slow: string[] = []
    const misses = new Map<string, number>()
    const started = Date.now()

    const describeRequest = (r: FuzzRequest) => {
      const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s)
      const headers = Object.fromEntries(
        Object.entries(r.headers).map(([k, v]) => [k, k === 'authorization' ? `${r.auth}: ${cut(v, 40)}` : cut(v, 120)]),
      )
      return JSON.stringify({
        method: r.method,
        url: cut(r.url),
        headers,
        payload: r.payload === undefined ? undefined : cut(r.payload),
        note: r.note,
      })
    }

    for (let round = 0; round * CHUNK < perRoute; round++) {
      const n = Math.min(CHUNK, perRoute - round * CHUNK)
      // Each route's requests come from its own seed, so one route's failure replays alone.
      const g0 = performance.now()
      const batches = arbs.map((arb, i) => fc.sample(arb, { seed: SEED + i * 7_919 + round * 104_729, numRuns: n }))
      genMs += performance.now() - g0
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!
          const req = batches[i]![k]!
          let res: LightMyRequestResponse | 'late'
          const t0 = performance.now()
          try {
            const answer = env.http.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload })
            let timer: NodeJS.Timeout | undefined
            const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_MS)))
            res = await Promise.race([answer, late]).finally(() => clearTimeout(timer))
          } catch {
            // light-my-request refused to build it (no real client could send it either).
            unsendable++
            continue
          }
          const dt = performance.now() - t0
          routeMs.set(op.key, (routeMs.get(op.key) ?? 0) + dt)
          if (dt > 30)
            slow.push(
              `${dt.toFixed(0)}ms ${op.key} ${res === 'late' ? 'late' : res.statusCode} ${req.note} url=${req.url.length} body=${req.payload?.length}`,
            )
          if (res === 'late') {
            failures.push({ route: op.key, status: 0, problem: `no answer within ${ANSWER_MS} ms`, request: describeRequest(req) })
            sent++
            continue
          }
          sent++
          covered.add(op.key)
          const status = res.statusCode
          byStatus[status] = (byStatus[status] ?? 0) + 1
          const cls = `${Math.floor(status / 100)}xx`
          byClass[cls] = (byClass[cls] ?? 0) + 1
          const fail = (problem: string) => failures.push({ route: op.key, status, problem, request: describeRequest(req) })

          if (status >= 500) {
            fail(`server error: ${res.body.slice(0, 500)}`)
            continue
          }
          if (status === 403 && !allowedRoles.has(op.key)) {
            const needs = /This needs the (.+) role/.exec(res.body)
            if (needs) allowedRoles.set(op.key, needs[1]!.split(' or '))
          }
          if (status >= 200 && status < 300 && req.auth !== 'none') reached.add(op.key)
          else if (process.env.FUZZ_PROFILE && !/none|deleted|other|expired|tampered|garbage/.test(req.auth)) {
            const m = `${op.key} ${status} ${req.auth} ${res.body.slice(0, 120)}`
            misses.set(m, (misses.get(m) ?? 0) + 1)
          }
          const isJson = /^application\/json/.test(String(res.headers['content-type'] ?? ''))
          let body: unknown
          if (isJson) {
            try {
              body = JSON.parse(res.body)
            } catch {
              fail(`content-type is JSON but the body is not: ${res.body.slice(0, 200)}`)
              continue
            }
          }
          if (status >= 400) {
            const err = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
            if (!isJson || !err || typeof err.message !== 'string' || typeof err.code !== 'string') {
              fail(`error is not { error: { code, message } }: ${res.headers['content-type']} ${res.body.slice(0, 300)}`)
              continue
            }
            if (!(err.code in ERROR_STATUS)) fail(`error code "${err.code}" is not in the closed list`)
            else if (ERROR_STATUS[err.code as ErrorCode] !== status)
              fail(`error code "${err.code}" belongs to ${ERROR_STATUS[err.code as ErrorCode]}, sent with ${status}`)
          }
          // A '..' segment is resolved before routing (as any HTTP client does), so the answer is
          // another route's: only the checks above apply to it.
          if (/\/\.\.?(\/|$)/.test(req.url.split('?')[0]!)) continue
          if (!op.documented.has(status)) {
            const code = (body as { error?: { code?: string } } | undefined)?.error?.code as ErrorCode
            if (!FRAMEWORK_ERRORS[status]?.includes(code))
              fail(`status ${status} (${code ?? 'no code'}) is not documented for this route: ${res.body.slice(0, 300)}`)
            continue
          }
          const validate = op.responses.get(status)
          if (!validate) continue // documented without a JSON body (the event stream)
          if (!isJson) {
            fail(`documented as JSON, sent as ${res.headers['content-type']}`)
            continue
          }
          if (!validate(body))
            fail(
              `response does not match the documented schema: ${JSON.stringify(validate.errors?.slice(0, 3))} body=${res.body.slice(0, 300)}`,
            )
          if (status < 300) harvest(body, kindOfPath(op.path))
        }
      }
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (process.env.FUZZ_PROFILE) {
      console.log(
        `[fuzz] generation ${genMs.toFixed(0)} ms; slowest routes: ${[...routeMs]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}`,
      )
      console.log(slow.slice(0, 60).join('\n'))
      const never = new Set(ops.filter((o) => !reached.has(o.key)).map((o) => o.key))
      console.log(
        [...misses]
          .filter(([m]) => never.has(m.split(' ').slice(0, 2).join(' ')))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 40)
          .map(([m, c]) => `${c}x ${m}`)
          .join('\n'),
      )
    }
    const classes = Object.entries(byClass)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
    const statuses = Object.entries(byStatus)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ')
    console.log(
      `[fuzz] seed ${SEED} on ${onServer ? 'postgres' : 'pglite'}: ${sent} requests in ${seconds} s (${classes}; ${statuses}); ` +
        `routes covered ${covered.size}/${ops.length}, reached with 2xx ${reached.size}; unsendable ${unsendable}; failures ${failures.length}`,
    )
    const notReached = ops.filter((o) => !reached.has(o.key)).map((o) => o.key)
    if (notReached.length) console.log(`[fuzz] routes never answered 2xx: ${notReached.join(', ')}`)

    // One example per distinct problem keeps the report readable; the count says how common it is.
    const distinct = new Map<string, Failure & { count: number }>()
    for (const f of failures) {
      const key = `${f.route} ${f.status} ${f.problem.slice(0, 80)}`
      const seen = distinct.get(key)
      if (seen) seen.count++
      else distinct.set(key, { ...f, count: 1 })
    }
    const report = [...distinct.values()].map((f) => `${f.route} -> ${f.status} (x${f.count}): ${f.problem}\n    request: ${f.request}`)
    expect(report, `seed ${SEED} (reproduce: FUZZ_SEED=${SEED} npx vitest run test/fuzz)`).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(REQUESTS)
    expect(covered.size).toBe(ops.length)
  })
})
