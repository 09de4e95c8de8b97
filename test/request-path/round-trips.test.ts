// Round trips to Postgres on a user's request path (docs/decisions/0022-one-round-trip.md):
// a read by id is one message (BEGIN, claims and the query together) and a COMMIT nobody waits
// for. A change that adds a round trip fails here, not only in a benchmark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { isCommit, recordRoundTrips, type Trip } from '../support/round-trips'
import { aBrief, aClient, aDesigner, bearer } from '../support/onedesigner'
import { aMusician, BANDSY, bearer as bandsyBearer } from '../support/bandsy'

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
})
