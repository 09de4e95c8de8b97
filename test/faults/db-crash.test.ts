// Fault suite: the database server dies (kill -9 of the postmaster) under a write load and comes
// back by WAL crash recovery. Proves that
//   - every write the API acknowledged (201) survives the crash;
//   - while the database is down every request answers fast with a 503 JSON error (no hang, no 500);
//   - the API serves again by itself within seconds of the database accepting connections.
// It runs its own throwaway cluster (test/support/pg-cluster.ts) on a free port, never the shared server.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { testConfig } from '../../src/platform/config'
import { createPlatform, type Platform } from '../../src/platform/platform'
import { buildHttp } from '../../src/platform/http/server'
import { openDatabase } from '../../src/platform/db/database'
import { migrateUp } from '../../src/platform/migrate/migrator'
import { migrationSources } from '../../src/server'
import { ALL_APPS } from '../../src/apps'
import type { Http } from '../../src/platform/app'
import { aClient, bearer, type TestUser } from '../support/onedesigner'
import { behindPooler, onServer } from '../support/test-env'
import { clusterUnavailableReason, createCluster, portOpen, type PgCluster } from '../support/pg-cluster'

const skipReason = !onServer
  ? 'TEST_DATABASE_URL is not set (server-only suite, like describeOnServer)'
  : behindPooler
    ? 'the run through PgBouncer: this suite crashes a private cluster of its own, which the pooler does not front (it ran on the direct server pass)'
    : clusterUnavailableReason()
if (skipReason) console.warn(`[faults] skipped: ${skipReason}`)
const describeFaults = skipReason ? describe.skip : describe

const LOOPS = 8
const WARMUP_MS = 1_500
const DOWN_MS = 2_500
/** A request without an answer after this long counts as a hang. */
const HANG_MS = 15_000
const DB = 'matchbase_faults'

interface Outcome {
  loop: number
  started: number
  ended: number
  status: number
  retryAfter?: string | null
  /** Parsed JSON body, or undefined when the body was not JSON. */
  body?: any
  /** Transport failure or hang (no HTTP answer). */
  failure?: string
}

describeFaults(`faults: database crash under write load${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let cluster: PgCluster | undefined
  let platform: Platform | undefined
  let http: Http | undefined
  let base = ''
  const clients: TestUser[] = []

  beforeAll(async () => {
    cluster = await createCluster()
    const admin = new pg.Client({ connectionString: cluster.url() })
    await admin.connect()
    await admin.query(`create database ${DB}`)
    await admin.end()
    // Write loops far past a person's pace: the per-user route limits are off (USER_RATE_LIMIT_FACTOR=0).
    const config = testConfig({ DATABASE_URL: cluster.url(DB), USER_RATE_LIMIT_FACTOR: '0' })
    const migrator = await openDatabase(config)
    await migrateUp(migrator.kysely, migrationSources(ALL_APPS))
    await migrator.close()
    platform = await createPlatform(config)
    http = await buildHttp(platform, ALL_APPS, { docs: false })
    await http.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`
    for (let i = 0; i < LOOPS; i++) clients.push(await aClient(platform))
  })

  afterAll(async () => {
    await http?.close().catch(() => {})
    await platform?.close().catch(() => {})
    await cluster?.destroy()
  })

  async function call(method: string, path: string, user?: TestUser, body?: unknown, loop = -1): Promise<Outcome> {
    const started = Date.now()
    try {
      const res = await fetch(base + path, {
        method,
        headers: { ...(user ? bearer(user) : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(HANG_MS),
      })
      const text = await res.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      return { loop, started, ended: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed }
    } catch (err) {
      return { loop, started, ended: Date.now(), status: 0, failure: `${(err as Error).name}: ${(err as Error).message}` }
    }
  }

  it('keeps every acknowledged write through kill -9 of the postmaster, fails fast while down and recovers by itself', async () => {
    // A lost connection must never surface as an uncaught exception: in production that ends the process.
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    onTestFinished(() => void process.off('uncaughtException', onUncaught))
    const outcomes: Outcome[] = []
    let stop = false
    onTestFinished(() => void (stop = true))
    let n = 0
    const loops = clients.map(async (client, loop) => {
      while (!stop) {
        const title = `fault ${loop}-${++n}`
        const out = await call('POST', '/v1/onedesigner/briefs', client, { projectType: 'branding-logo', projectTitle: title }, loop)
        outcomes.push(out)
        // Pace the loop a little when the server refuses, as a client honouring Retry-After would not hammer.
        if (out.status !== 201) await new Promise((r) => setTimeout(r, 20))
      }
    })

    await new Promise((r) => setTimeout(r, WARMUP_MS))
    const killedAt = Date.now()
    const pid = cluster!.killPostmaster()
    // "Down" starts once the port refuses connections; requests in flight at the kill are judged apart.
    while (await portOpen(cluster!.port)) await new Promise((r) => setTimeout(r, 10))
    const downAt = Date.now()
    const readyWhileDown = await call('GET', '/readyz')
    await new Promise((r) => setTimeout(r, DOWN_MS))
    const restartAt = Date.now()
    await cluster!.start()
    const acceptingAt = Date.now()
    // Keep the load on until the API has answered 2xx for a second after the database came back.
    const recoverDeadline = acceptingAt + 10_000
    let firstOkAfter: number | undefined
    while (Date.now() < recoverDeadline) {
      firstOkAfter = outcomes
        .filter((o) => o.started >= acceptingAt && o.status === 201)
        .reduce<number | undefined>((m, o) => (m === undefined || o.ended < m ? o.ended : m), undefined)
      if (firstOkAfter !== undefined && Date.now() - firstOkAfter > 1_000) break
      await new Promise((r) => setTimeout(r, 50))
    }
    stop = true
    await Promise.all(loops)
    const readyAfter = await call('GET', '/readyz')

    // Every acknowledged brief is in the recovered database.
    const acked = outcomes.filter((o) => o.status === 201).map((o) => o.body?.id as string)
    const check = new pg.Client({ connectionString: cluster!.url(DB) })
    await check.connect()
    const { rows } = await check.query<{ id: string }>('select id from onedesigner.briefs where id = any($1::uuid[])', [acked])
    const { rows: all } = await check.query<{ n: number }>('select count(*)::int as n from onedesigner.briefs')
    await check.end()
    const found = new Set(rows.map((r) => r.id))
    const lost = acked.filter((id) => !found.has(id))

    const down = outcomes.filter((o) => o.started >= downAt && o.ended <= restartAt)
    const atKill = outcomes.filter((o) => o.started < downAt && o.ended > killedAt)
    const recovering = outcomes.filter((o) => o.ended > restartAt && o.started < acceptingAt)
    const tally = (list: Outcome[]) =>
      Object.entries(
        list.reduce<Record<string, number>>((acc, o) => {
          const key = o.failure ? 'no answer' : `${o.status} ${o.body?.error?.code ?? (o.body ? 'json' : 'non-json')}`
          acc[key] = (acc[key] ?? 0) + 1
          return acc
        }, {}),
      )
        .map(([k, v]) => `${k} x${v}`)
        .join(', ')
    const maxDownLatency = Math.max(0, ...down.map((o) => o.ended - o.started))
    const maxLatencyAll = Math.max(0, ...outcomes.map((o) => o.ended - o.started))

    console.log(
      [
        `[faults] postmaster pid ${pid} killed with SIGKILL under ${LOOPS} concurrent write loops (POST /v1/onedesigner/briefs)`,
        `  writes acknowledged (201): ${acked.length}; found after recovery: ${acked.length - lost.length}; lost: ${lost.length}; briefs in table: ${all[0].n}`,
        `  requests in flight at the kill: ${atKill.length} (${tally(atKill)})`,
        `  requests while down (${((restartAt - downAt) / 1000).toFixed(1)} s): ${down.length} (${tally(down)}); max latency ${maxDownLatency} ms`,
        `  /readyz while down: ${readyWhileDown.status} ${readyWhileDown.body?.error?.code ?? ''}; after: ${readyAfter.status}`,
        `  requests during restart/crash recovery: ${recovering.length} (${tally(recovering)})`,
        `  pg_ctl start (crash recovery) took ${((acceptingAt - restartAt) / 1000).toFixed(2)} s; API answered 201 again ${firstOkAfter === undefined ? 'NEVER' : `${((firstOkAfter - acceptingAt) / 1000).toFixed(2)} s`} after the database accepted connections`,
        `  total requests: ${outcomes.length}; max latency overall ${maxLatencyAll} ms; uncaught exceptions: ${uncaught.length}`,
      ].join('\n'),
    )

    // Every answer, in every phase, is either a success or a documented 5xx JSON error; never a hang.
    const bad = outcomes.filter(
      (o) =>
        o.failure ||
        !o.body ||
        !(
          o.status === 201 ||
          (o.status === 503 && o.body.error?.code === 'unavailable') ||
          (o.status === 504 && o.body.error?.code === 'timeout')
        ),
    )
    expect(bad.slice(0, 5), cluster!.log().slice(-2000)).toEqual([])
    expect(uncaught.map(String)).toEqual([])
    expect(lost).toEqual([])
    expect(acked.length).toBeGreaterThan(LOOPS)

    expect(down.length).toBeGreaterThan(LOOPS)
    for (const o of down)
      expect({ status: o.status, code: o.body?.error?.code, retryAfter: o.retryAfter }).toEqual({
        status: 503,
        code: 'unavailable',
        retryAfter: '1',
      })
    // Connection refused must fail fast, far below the pool's 5 s connection timeout.
    expect(maxDownLatency).toBeLessThan(2_000)
    expect(readyWhileDown.status).toBe(503)
    expect(readyWhileDown.body?.error?.code).toBe('unavailable')

    expect(firstOkAfter).toBeDefined()
    expect(firstOkAfter! - acceptingAt).toBeLessThan(5_000)
    expect(readyAfter.status).toBe(200)
  })
})
