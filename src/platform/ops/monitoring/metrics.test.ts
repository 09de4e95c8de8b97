import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sql } from 'kysely'
import { createTestEnv, onServer, type TestEnv } from '../../../../test/support/test-env'
import { defineApp } from '../../app'
import { readDatabaseSnapshot } from './metrics'

// A route that queries after its body is parsed and an await, and one with a slow statement.
const probe = defineApp({
  name: 'metricsprobe',
  migrationsDir: '/nonexistent',
  routes({ http, platform }) {
    http.post('/after-body', { schema: { body: z.object({ n: z.number().int() }) } }, async (req) => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      const { rows } = await sql<{ n: number }>`select ${req.body.n}::int + 1 as n`.execute(platform.db.kysely)
      return rows[0]
    })
    http.get('/slow', async () => {
      await sql`select pg_sleep(0.03)`.execute(platform.db.kysely)
      return {}
    })
  },
})

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue
    return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('operator metrics', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
  })
  afterAll(() => env.close())
  const scrape = async () => (await env.http.inject({ method: 'GET', url: '/metrics' })).body

  it('times every statement, and every request by its route', async () => {
    const before = sample(await scrape(), 'matchbase_db_query_duration_seconds_count', { outcome: 'ok' }) ?? 0
    for (let i = 0; i < 3; i++) {
      const res = await env.http.inject({ method: 'POST', url: '/v1/metricsprobe/after-body', payload: { n: i } })
      expect(res.json()).toEqual({ n: i + 1 })
    }
    // At least the three statements (a scrape may run its own, cached, snapshot queries too).
    expect(sample(await scrape(), 'matchbase_db_query_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(before + 3)
    const slowBefore = sample(await scrape(), 'matchbase_db_query_duration_seconds_bucket', { le: '0.025' }) ?? 0
    const countBefore = sample(await scrape(), 'matchbase_db_query_duration_seconds_count', { outcome: 'ok' }) ?? 0
    await env.http.inject({ method: 'GET', url: '/v1/metricsprobe/slow' })
    const slow = await scrape()
    // pg_sleep(0.03) lands above the 25 ms bucket: the histogram holds real durations.
    const above25 =
      sample(slow, 'matchbase_db_query_duration_seconds_count', { outcome: 'ok' })! -
      sample(slow, 'matchbase_db_query_duration_seconds_bucket', { le: '0.025' })!
    expect(above25).toBeGreaterThanOrEqual(1)
    expect(countBefore - slowBefore).toBeLessThan(above25)
    // The request itself, by its route.
    const route = '/v1/metricsprobe/slow'
    expect(sample(slow, 'matchbase_http_request_duration_seconds_count', { route, status: '200' })).toBe(1)
    expect(sample(slow, 'matchbase_http_request_duration_seconds_bucket', { route, status: '200', le: '0.025' })).toBe(0)
  })

  it('reports pool, size, connections, cache ratios and disk, read on scrape', async () => {
    const text = await scrape()
    expect(sample(text, 'matchbase_db_size_bytes')).toBeGreaterThan(1_000_000)
    expect(sample(text, 'matchbase_db_connections')).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'matchbase_db_max_connections')).toBeGreaterThanOrEqual(sample(text, 'matchbase_db_connections')!)
    expect(sample(text, 'matchbase_db_pool_connections', { state: 'waiting' })).toBe(0)
    expect(sample(text, 'matchbase_db_pool_max')).toBe(onServer ? env.config.DATABASE_POOL_MAX : 1)
    const hit = sample(text, 'matchbase_db_cache_hit_ratio', { kind: 'table' })!
    expect(hit).toBeGreaterThan(0)
    expect(hit).toBeLessThanOrEqual(1)
    const disk = sample(text, 'matchbase_disk_free_ratio')!
    expect(disk).toBeGreaterThan(0)
    expect(disk).toBeLessThan(1)
    // No replica configured: no replication figures rather than a made-up zero.
    expect(sample(text, 'matchbase_db_replication_lag_seconds')).toBeUndefined()
  })

  it('reports how long the oldest due job of each queue has waited', async () => {
    const db = env.platform.db.kysely
    const hasBoss = (await sql<{ ok: boolean }>`select to_regclass('pgboss.job') is not null as ok`.execute(db)).rows[0].ok
    if (!hasBoss) {
      expect((await readDatabaseSnapshot(db)).jobLag.size).toBe(0)
      return
    }
    await sql`insert into pgboss.queue (name, policy) values ('metrics-probe', 'standard') on conflict do nothing`.execute(db)
    await sql`insert into pgboss.job (name, data, start_after) values ('metrics-probe', '{}', now() - interval '90 seconds')`.execute(db)
    await sql`insert into pgboss.job (name, data, start_after) values ('metrics-probe', '{}', now() + interval '1 hour')`.execute(db)
    const lag = (await readDatabaseSnapshot(db)).jobLag.get('metrics-probe')!
    expect(lag).toBeGreaterThanOrEqual(90)
    expect(lag).toBeLessThan(120)
  })
})
