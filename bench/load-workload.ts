// The mixed OneDesigner workload driven by autocannon, shared by bench/load-soak.ts and the short
// CI run (test/load/short-load.test.ts): sign the demo clients in over HTTP, then cycle through
// the main read and write endpoints as those clients.
import autocannon from 'autocannon'

export const BASE = '/v1/onedesigner'
export const DEMO_CLIENT_EMAILS = ['alex@client.local', 'sam@client.local', 'jordan@client.local']

export interface Session {
  email: string
  token: string
  briefId: string
}

export interface Work {
  base: string
  clients: Session[]
  designerIds: string[]
}

async function json(res: Response) {
  const text = await res.text()
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Signs in by email code, reading the code from the dev mailbox as a developer would. */
export async function signIn(base: string, email: string, type = 'client'): Promise<string> {
  const post = (path: string, body: unknown) =>
    fetch(base + BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  await json(await post('/auth/otp', { email, type }))
  for (let i = 0; i < 100; i++) {
    const { messages } = await json(await fetch(`${base}/v1/dev/mailbox?email=${encodeURIComponent(email)}`))
    const code = messages[0] && /\b(\d{6})\b/.exec(messages[0].text)?.[1]
    if (code) {
      const session = await json(await post('/auth/otp/verify', { email, type, code }))
      return session.accessToken
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no code arrived for ${email}`)
}

/** Signs in the demo clients, finds each one's active brief and computes its matches once (the cache). */
export async function prepareWork(base: string, emails = DEMO_CLIENT_EMAILS): Promise<Work> {
  const clients: Session[] = []
  const designerIds = new Set<string>()
  for (const email of emails) {
    const token = await signIn(base, email)
    const auth = { authorization: `Bearer ${token}` }
    const { briefs } = await json(await fetch(`${base}${BASE}/briefs?status=active`, { headers: auth }))
    // Not every demo client has an active brief; give those one.
    const briefId: string = briefs.length
      ? briefs[0].id
      : (
          await json(
            await fetch(`${base}${BASE}/briefs`, {
              method: 'POST',
              headers: { ...auth, 'content-type': 'application/json' },
              body: JSON.stringify({ projectType: 'branding-logo', projectTitle: 'Load test brand' }),
            }),
          )
        ).id
    const { matches } = await json(await fetch(`${base}${BASE}/briefs/${briefId}/matches`, { method: 'POST', headers: auth }))
    for (const m of matches) designerIds.add(m.designerId)
    clients.push({ email, token, briefId })
  }
  if (!designerIds.size) throw new Error('matching found no designers; are embeddings computed?')
  return { base, clients, designerIds: [...designerIds] }
}

/** One request of each kind per cycle; the client (and designer) rotates every cycle. */
export function mixedRequests(work: Work): autocannon.Request[] {
  let n = 0
  const pick = <T>(xs: T[]) => xs[n % xs.length]
  const as = (c: Session) => ({ authorization: `Bearer ${c.token}`, 'content-type': 'application/json' })
  const get = (path: (c: Session) => string): autocannon.Request => ({
    method: 'GET',
    setupRequest: (req) => {
      const c = pick(work.clients)
      return { ...req, method: 'GET', path: BASE + path(c), headers: as(c) }
    },
  })
  return [
    {
      method: 'GET',
      setupRequest: (req) => {
        n++ // a new cycle: the next client
        const c = pick(work.clients)
        return { ...req, method: 'GET', path: `${BASE}/me`, headers: as(c) }
      },
    },
    get(() => '/briefs'),
    get((c) => `/briefs/${c.briefId}`),
    get(() => '/notifications'),
    get(() => `/designers/${pick(work.designerIds)}`),
    {
      method: 'POST',
      setupRequest: (req) => {
        const c = pick(work.clients)
        return {
          ...req,
          method: 'POST',
          path: `${BASE}/briefs`,
          headers: as(c),
          body: JSON.stringify({ projectType: 'branding-logo', projectTitle: `load ${n}` }),
        }
      },
    },
    {
      method: 'POST',
      setupRequest: (req) => {
        const c = pick(work.clients)
        return { ...req, method: 'POST', path: `${BASE}/briefs/${c.briefId}/matches`, headers: { authorization: `Bearer ${c.token}` } }
      },
    },
    get(() => '/credits/packages'),
  ]
}

/** GET /briefs/:id only, rotating the clients: the read compared with the floor server. */
export function briefReads(work: Work, path = (briefId: string) => `${BASE}/briefs/${briefId}`): autocannon.Request[] {
  let n = 0
  return [
    {
      method: 'GET',
      setupRequest: (req) => {
        const c = work.clients[n++ % work.clients.length]
        return { ...req, method: 'GET', path: path(c.briefId), headers: { authorization: `Bearer ${c.token}` } }
      },
    },
  ]
}

export interface LoadResult {
  seconds: number
  requests: number
  rps: number
  p50: number
  p95: number
  p99: number
  max: number
  /** Socket errors and timeouts. */
  errors: number
  non2xx: number
  status5xx: number
  byStatus: Record<string, number>
  /** The first few non-2xx answers, to say what went wrong. */
  samples: string[]
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0

/** Runs autocannon and keeps every response time, for exact p50/p95/p99 (autocannon reports no p95). */
export async function cannon(opts: {
  url: string
  requests: autocannon.Request[]
  seconds: number
  connections: number
}): Promise<LoadResult> {
  let times = new Float64Array(1 << 16)
  let count = 0
  const byStatus: Record<string, number> = {}
  const samples: string[] = []
  const requests = opts.requests.map((r, i) => ({
    ...r,
    onResponse: (status: number, body: string) => {
      if ((status < 200 || status >= 300) && samples.length < 5)
        samples.push(`request #${i + 1} of the cycle (${r.method}): ${status} ${body.slice(0, 200)}`)
    },
  }))
  let finish!: (r: autocannon.Result) => void
  let fail!: (err: unknown) => void
  const done = new Promise<autocannon.Result>((resolve, reject) => ([finish, fail] = [resolve, reject]))
  const instance = autocannon({ url: opts.url, connections: opts.connections, duration: opts.seconds, requests, timeout: 10 }, (err, r) =>
    err ? fail(err) : finish(r),
  )
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (count === times.length) {
      const bigger = new Float64Array(times.length * 2)
      bigger.set(times)
      times = bigger
    }
    times[count++] = responseTime
    byStatus[statusCode] = (byStatus[statusCode] ?? 0) + 1
  })
  const result = await done
  const sorted = times.slice(0, count).sort()
  const status5xx = Object.entries(byStatus).reduce((s, [code, k]) => s + (Number(code) >= 500 ? k : 0), 0)
  return {
    seconds: result.duration,
    requests: count,
    rps: count / result.duration,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[count - 1] ?? 0,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    status5xx,
    byStatus,
    samples,
  }
}

export const describeLoad = (r: LoadResult) =>
  `${r.rps.toFixed(0)} req/s over ${r.seconds.toFixed(0)} s (${r.requests} requests); ` +
  `latency p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms; ` +
  `errors ${r.errors}, non-2xx ${r.non2xx} (5xx ${r.status5xx}); statuses ${JSON.stringify(r.byStatus)}` +
  r.samples.map((s) => `\n    ${s}`).join('')
