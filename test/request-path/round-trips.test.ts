// Round trips to Postgres on a user's request path (docs/decisions/0022-one-round-trip.md):
// a read by id is one message (BEGIN, claims and the query together) and a COMMIT nobody waits
// for. A change that adds a round trip fails here, not only in a benchmark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { isCommit, recordRoundTrips, type Trip } from '../support/round-trips'
import { aBrief, aClient, aDesigner, bearer } from '../support/onedesigner'
import { aMusician, BANDSY, bearer as bandsyBearer } from '../support/bandsy'
import { aPlace, offset } from '../support/bandsy-discovery'

const HOLD_COMMIT_MS = 400

describe('round trips on the request path', () => {
  let env: TestEnv
  beforeAll(async () => {
    // No periodic revocation reload inside a recorded request: only the request's own messages.
    env = await createTestEnv({ config: { SESSION_REVOCATION_RELOAD_SECONDS: '300' } })
  })
  afterAll(() => env.close())

  /** Sends the request; returns its answer, what went to Postgres, and when the answer came. */
  async function traced(method: 'GET' | 'POST', url: string, headers: Record<string, string>) {
    const recorder = recordRoundTrips(env.platform.db.pool, { holdCommitMs: HOLD_COMMIT_MS })
    const res = await env.http.inject({ method, url, headers })
    const answeredAt = performance.now()
    const trips = recorder.stop()
    return { res, trips, answeredAt }
  }

  /** Each message as what it is: the transaction's opening with its first statement, a statement, or COMMIT. */
  const shape = (trips: Trip[]) =>
    trips.map((t) => (isCommit(t.sql) ? 'commit' : /^(begin|start transaction)/.test(t.sql) ? 'begin+statement' : 'statement'))

  /** The one message a read by id sends: a read-only BEGIN, the claims and the query. */
  function expectOneMessageRead({ trips, answeredAt }: { trips: Trip[]; answeredAt: number }) {
    expect(trips.map((t) => (isCommit(t.sql) ? 'commit' : 'statement'))).toEqual(['statement', 'commit'])
    expect(trips[0].sql).toMatch(/^start transaction read only;\s*\/\*[^*]*\*\/ select set_config\('role'/)
    // The answer went out while the held COMMIT was still unanswered.
    expect(trips[1].answeredAt ?? Number.POSITIVE_INFINITY).toBeGreaterThan(answeredAt)
  }

  it('GET a OneDesigner brief: one round trip, the COMMIT not waited for', async () => {
    const client = await aClient(env.platform)
    const brief = await aBrief(env.platform, client)
    const traces = await traced('GET', `/v1/onedesigner/briefs/${brief.id}`, bearer(client))
    expect(traces.res.statusCode).toBe(200)
    expectOneMessageRead(traces)
  })

  it('GET a OneDesigner designer: one round trip', async () => {
    const client = await aClient(env.platform)
    const designer = await aDesigner(env.platform, { approved: true })
    const traces = await traced('GET', `/v1/onedesigner/designers/${designer.id}`, bearer(client))
    expect(traces.res.statusCode).toBe(200)
    expectOneMessageRead(traces)
  })

  it('GET a Bandsy profile: one round trip', async () => {
    const me = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const traces = await traced('GET', `${BANDSY}/users/${other.username}`, bandsyBearer(me))
    expect(traces.res.statusCode).toBe(200)
    expectOneMessageRead(traces)
  })

  it('a write sends BEGIN and claims with its first statement, and waits for its COMMIT', async () => {
    const client = await aClient(env.platform)
    const recorder = recordRoundTrips(env.platform.db.pool, { holdCommitMs: HOLD_COMMIT_MS })
    const res = await env.http.inject({
      method: 'POST',
      url: '/v1/onedesigner/briefs',
      headers: bearer(client),
      payload: { projectType: 'branding-logo' },
    })
    const trips = recorder.stop()
    expect(res.statusCode, res.body).toBe(201)
    expect(trips[0].sql).toMatch(/^begin;\s*\/\*[^*]*\*\/ select set_config\('role'.*;\s*insert into/s)
    expect(isCommit(trips.at(-1)!.sql)).toBe(true)
    expect(trips.at(-1)!.answeredAt).toBeDefined() // the answer waited for the COMMIT
  })

  it('Bandsy discovery: the first page in four messages, a later page in four', async () => {
    const here = aPlace()
    const me = await aMusician(env.platform, { at: here })
    for (let i = 0; i < 25; i++) await aMusician(env.platform, { at: offset(here, i, 1) })
    const first = await traced('GET', `${BANDSY}/discovery?limit=20`, bandsyBearer(me))
    expect(first.res.statusCode, first.res.body).toBe(200)
    // The caller, their plan, the catalogs and the activity mark; the nearest pool; the feed with
    // the first cards; COMMIT (a write: waited for).
    expect(shape(first.trips)).toEqual(['begin+statement', 'statement', 'statement', 'commit'])
    expect(first.trips[0].sql).toMatch(/set local synchronous_commit = off/)
    const cursor = first.res.json().nextCursor
    const next = await traced('GET', `${BANDSY}/discovery?limit=20&cursor=${cursor}`, bandsyBearer(me))
    expect(next.res.statusCode, next.res.body).toBe(200)
    // The caller; the feed; the page with its cards; COMMIT.
    expect(shape(next.trips)).toEqual(['begin+statement', 'statement', 'statement', 'commit'])
  })

  it('OneDesigner match request: five messages waited for, and a read-only COMMIT that is not', async () => {
    const client = await aClient(env.platform)
    for (let i = 0; i < 3; i++) await aDesigner(env.platform, { approved: true })
    const brief = await aBrief(env.platform, client)
    const run = await traced('POST', `/v1/onedesigner/briefs/${brief.id}/matches`, bearer(client))
    expect(run.res.statusCode, run.res.body).toBe(200)
    // Read (read only): the brief with its cache; the candidates; COMMIT, not waited for.
    // Write: the matches, cache and embedding in one statement; the designers as the client sees them; COMMIT.
    expect(shape(run.trips)).toEqual(['begin+statement', 'statement', 'commit', 'begin+statement', 'statement', 'commit'])
    expect(run.trips[0].sql).toMatch(/^start transaction read only/)
    expect(run.trips[2].answeredAt ?? Number.POSITIVE_INFINITY).toBeGreaterThan(run.trips[3].answeredAt!)
    // The run can be computed again: its COMMIT does not wait for the disk (decision 0027).
    expect(run.trips[3].sql).toMatch(/set local synchronous_commit = off/)

    // Served from the cache: the brief (read only), then the hit counted and read with the designers.
    const hit = await traced('POST', `/v1/onedesigner/briefs/${brief.id}/matches`, bearer(client))
    expect(hit.res.statusCode, hit.res.body).toBe(200)
    expect(hit.res.json().cached).toBe(true)
    expect(shape(hit.trips)).toEqual(['begin+statement', 'commit', 'begin+statement', 'statement', 'commit'])
  })
})
