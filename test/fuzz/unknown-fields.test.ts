// One policy for unknown input (issue 10, item 14; docs/decisions/0020-abuse-limits.md): every
// route of every registered app, taken from the OpenAPI document, refuses a JSON body with a key
// it does not know, and a query parameter it does not know, with 400 naming it. A body the schema
// accepts is sent with one stranger key; the answer must name exactly that key.
import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { operationsOf, validArb, type Operation, type Pools } from '../support/fuzz-openapi'
import { openApiDocument } from '../../src/platform/http/openapi'
import { TEST_APPS } from '../support/test-apps'
import { testingOf } from '../support/app-registry'

const PROBE = 'zzUnknownProbe'

/** Date-times the routes accept (fast-check's span years no route takes), in the schema's order. */
function plausibleDates(op: Operation, body: object): object {
  const out = { ...body } as Record<string, unknown>
  let day = 1
  for (const [k, s] of Object.entries(op.body?.properties ?? {}))
    if (s.format === 'date-time' && k in out) out[k] = new Date(Date.UTC(2031, 0, day++, 18)).toISOString()
  return out
}
const pools: Pools = { ids: () => [randomUUID()], emails: () => ['probe@example.test'], known: () => undefined }

describe('unknown fields and parameters are refused on every route', () => {
  let env: TestEnv
  let ops: Operation[]
  const tokens = new Map<string, string[]>()
  beforeAll(async () => {
    env = await createTestEnv()
    ops = operationsOf(JSON.parse(await openApiDocument(env.platform, TEST_APPS))).filter((o) => o.path.startsWith('/v1/'))
    for (const t of await testingOf()) {
      const list: string[] = []
      for (const role of t.roles) list.push((await t.user(env.platform, role)).token)
      tokens.set(t.name, list)
    }
  }, 120_000)
  afterAll(() => env.close())

  /** A URL with valid path parameters and the given query. */
  function url(op: Operation, seed: number, query: Record<string, string> = {}) {
    let path = op.path
    for (const p of op.params.filter((p) => p.in === 'path')) {
      const [v] = fc.sample(validArb(p.schema, pools, p.name), { seed, numRuns: 1 })
      path = path.replace(`{${p.name}}`, encodeURIComponent(String(v)))
    }
    const qs = new URLSearchParams(query).toString()
    return qs ? `${path}?${qs}` : path
  }

  /** Answers with the first token of the app whose role the route accepts (or none for open routes). */
  async function send(op: Operation, o: { url: string; body?: unknown }) {
    const app = op.path.split('/')[2]!
    const candidates = op.secured ? (tokens.get(app) ?? []) : [undefined]
    let res: LightMyRequestResponse | undefined
    for (const token of candidates) {
      res = await env.http.inject({
        method: op.method as 'GET',
        url: o.url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'idempotency-key': randomUUID() },
        ...(o.body !== undefined ? { payload: o.body as object } : {}),
      })
      if (res.statusCode !== 403 && res.statusCode !== 401) return res
    }
    return res!
  }

  const namesProbe = (res: { statusCode: number; json(): { error?: { code?: string; details?: { field: string }[] } } }, field: string) =>
    res.statusCode === 400 && res.json().error?.code === 'validation_failed' && !!res.json().error?.details?.some((d) => d.field === field)

  it('JSON bodies: a key the route does not know answers 400 naming it', async () => {
    const withBody = ops.filter((o) => o.body && o.body.type === 'object' && o.body.properties)
    expect(withBody.length).toBeGreaterThan(20)
    const refused: string[] = []
    const missed: string[] = []
    for (const op of withBody) {
      let ok = false
      let last = ''
      // A generated body may break a rule the JSON schema cannot say; try a few.
      for (let seed = 1; seed <= 40 && !ok; seed++) {
        const [body] = fc.sample(validArb(op.body!, pools), { seed, numRuns: 1 })
        const res = await send(op, { url: url(op, seed), body: { ...plausibleDates(op, body as object), [PROBE]: 1 } })
        ok = namesProbe(res, `body.${PROBE}`)
        last = `${res.statusCode} ${res.body.slice(0, 200)}`
      }
      if (ok) refused.push(op.key)
      else missed.push(`${op.key} -> ${last}`)
    }
    expect(missed, `routes that did not refuse body.${PROBE}`).toEqual([])
    expect(refused).toContain('POST /v1/onedesigner/credits/purchases')
  }, 300_000)

  it('query strings: a parameter the route does not know answers 400 naming it', async () => {
    const missed: string[] = []
    for (const op of ops.filter((o) => o.method === 'GET')) {
      const required: Record<string, string> = {}
      for (const p of op.params.filter((p) => p.in === 'query' && p.required))
        required[p.name] = String(fc.sample(validArb(p.schema, pools, p.name), { seed: 1, numRuns: 1 })[0])
      const res = await send(op, { url: url(op, 1, { ...required, [PROBE]: '1' }) })
      if (!namesProbe(res, `querystring.${PROBE}`)) missed.push(`${op.key} -> ${res.statusCode} ${res.body.slice(0, 120)}`)
    }
    expect(missed).toEqual([])
  }, 300_000)

  it('a purchase with extra fields is refused, not stripped (quantity -5, priceCents 1)', async () => {
    const token = tokens.get('onedesigner')![0]!
    const res = await env.http.inject({
      method: 'POST',
      url: '/v1/onedesigner/credits/purchases',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      payload: { packageId: 'starter', quantity: -5, priceCents: 1 },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/body\.quantity, body\.priceCents: unknown fields/)
  })

  it('keeps access_token on event-stream routes', async () => {
    for (const op of ops.filter((o) => o.path.endsWith('/stream')))
      expect(
        op.params.some((p) => p.in === 'query' && p.name === 'access_token'),
        op.key,
      ).toBe(true)
  })
})
