import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, onServer, type TestEnv } from '../../../test/support/test-env'
import { ALL_APPS } from '../../apps'
import { jobsOf } from '../../server'
import { bossFor, runJob, startScheduler } from './scheduler'
import type { JobContext, JobDefinition } from './types'

// Fast polling so a test sees a run within seconds; production polls every 10 s.
const FAST = { pollingIntervalSeconds: 0.5, cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 }

function recorder(name: string, cron?: string) {
  const runs: JobContext[] = []
  let resolve!: () => void
  const ran = new Promise<void>((r) => (resolve = r))
  const def: JobDefinition = {
    name,
    cron,
    description: 'test job',
    async run(ctx) {
      runs.push(ctx)
      resolve()
      return { runs: runs.length }
    },
  }
  return { def, runs, ran }
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))])

describe(`jobs on ${onServer ? 'a Postgres server' : 'PGlite'}`, () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('runJob runs a job now, as of the platform clock or a given time, and returns its summary', async () => {
    env.clock.set('2030-01-02T03:04:05Z')
    const job = recorder('test-run-now')
    expect(await runJob(env.platform, job.def)).toEqual({ runs: 1 })
    expect(job.runs[0].now.toISOString()).toBe('2030-01-02T03:04:05.000Z')
    expect(job.runs[0].platform).toBe(env.platform)
    await runJob(env.platform, job.def, new Date('2031-06-01T00:00:00Z'))
    expect(job.runs[1].now.toISOString()).toBe('2031-06-01T00:00:00.000Z')
  })

  it('runJob passes a failure on', async () => {
    const failing: JobDefinition = {
      name: 'test-fail',
      description: 'fails',
      run: async () => {
        throw new Error('broken on purpose')
      },
    }
    await expect(runJob(env.platform, failing)).rejects.toThrow('broken on purpose')
  })

  it('runs a sent job and a cron job through pg-boss, then stops cleanly', async () => {
    env.clock.set('2030-05-05T05:05:05Z')
    const sent = recorder('test-sent')
    const cron = recorder('test-every-minute', '* * * * *')
    const scheduler = await startScheduler(env.platform, [sent.def, cron.def], FAST)
    try {
      expect(await scheduler.send('test-sent')).toMatch(/^[0-9a-f-]{36}$/)
      await within(sent.ran, 15_000, 'sent job')
      expect(sent.runs[0].now.toISOString()).toBe('2030-05-05T05:05:05.000Z')
      // An every-minute schedule is due at once: its last tick is less than a minute ago.
      await within(cron.ran, 20_000, 'cron job')
      const { rows } = await sql<{ name: string; cron: string; timezone: string }>`
        select name, cron, timezone from pgboss.schedule order by name`.execute(env.platform.db.kysely)
      expect(rows).toEqual([{ name: 'test-every-minute', cron: '* * * * *', timezone: 'UTC' }])
      // pg-boss records the outcome and the summary.
      const jobRow = async () =>
        (
          await sql<{ state: string; output: unknown }>`select state, output from pgboss.job where name = 'test-sent'`.execute(
            env.platform.db.kysely,
          )
        ).rows
      await expect.poll(async () => (await jobRow())[0]?.state, { timeout: 5_000 }).toBe('completed')
      expect(await jobRow()).toEqual([{ state: 'completed', output: { runs: 1 } }])
    } finally {
      const t0 = Date.now()
      await scheduler.stop()
      expect(Date.now() - t0).toBeLessThan(5_000)
    }
    // Stopped: nothing runs any more.
    const before = sent.runs.length + cron.runs.length
    await new Promise((r) => setTimeout(r, 1_500))
    expect(sent.runs.length + cron.runs.length).toBe(before)
    // The database is still usable after the scheduler let go of it.
    expect((await sql<{ one: number }>`select 1 as one`.execute(env.platform.db.kysely)).rows[0].one).toBe(1)
  })

  it('schedules every platform and app job with a valid UTC cron', async () => {
    const defs = jobsOf(ALL_APPS)
    const names = defs.map((d) => d.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'platform-purge-idempotency-keys',
        'platform-purge-refresh-tokens',
        'platform-purge-dev-mailbox',
        'onedesigner-expire-matches',
        'onedesigner-cleanup-tokens',
        'onedesigner-cleanup-cache',
        'onedesigner-refresh-stats',
      ]),
    )
    const scheduler = await startScheduler(env.platform, defs)
    try {
      const { rows } = await sql<{ name: string }>`
        select name from pgboss.schedule where timezone = 'UTC' and name not like 'test-%'`.execute(env.platform.db.kysely)
      expect(rows.map((r) => r.name).sort()).toEqual(
        defs
          .filter((d) => d.cron)
          .map((d) => d.name)
          .sort(),
      )
    } finally {
      await scheduler.stop()
    }
  })

  it('drops the schedule of a job that is gone from its family, and leaves other families alone', async () => {
    const first = await startScheduler(env.platform, [recorder('old-hourly', '0 * * * *').def, recorder('other-daily', '0 3 * * *').def])
    await first.stop()
    const second = await startScheduler(env.platform, [recorder('old-renamed', '30 * * * *').def])
    try {
      const { rows } = await sql<{
        name: string
      }>`select name from pgboss.schedule where name like 'old-%' or name like 'other-%' order by name`.execute(env.platform.db.kysely)
      expect(rows.map((r) => r.name)).toEqual(['old-renamed', 'other-daily'])
    } finally {
      await second.stop()
    }
  })

  it('sends pg-boss SQL through the platform pool, several statements at once, and recovers from a failed one', async () => {
    const db = bossFor(env.platform).getDb()
    const multi = (await db.executeSql('select 1 as a; select 2 as b', [])) as unknown as Array<{ rows: unknown[] }>
    expect(multi.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]])
    await expect(db.executeSql('begin; select 1/0; commit', [])).rejects.toThrow(/division by zero/)
    // Not left inside the aborted transaction.
    expect((await sql<{ one: number }>`select 1 as one`.execute(env.platform.db.kysely)).rows).toEqual([{ one: 1 }])
  })

  it('refuses two jobs with one name and names a job it does not know', async () => {
    const a = recorder('test-dup')
    await expect(startScheduler(env.platform, [a.def, a.def])).rejects.toThrow(/Two jobs are named test-dup/)
    const scheduler = await startScheduler(env.platform, [a.def])
    try {
      expect(() => scheduler.send('nope')).toThrow(/No job named nope/)
    } finally {
      await scheduler.stop()
    }
  })
})
