// Durable jobs on pg-boss, on both drivers. Every pg-boss statement goes through the platform's
// own pool: PGlite is a single session, so a second connection is not possible there, and on a
// server it keeps jobs under the same pool limits and statement timeout as the API.
// node-postgres sends a query without values through the simple protocol, which accepts the
// several statements pg-boss packs into its parameterless SQL (its schema install, its locks).
import { performance } from 'node:perf_hooks'
import PgBoss from 'pg-boss'
import type { Platform } from '../platform'
import type { JobDefinition } from './types'

export interface SchedulerOptions {
  /** pg-boss's own connections: the owner's (DATABASE_OWNER_URL), since it creates tables per queue. */
  pool?: Platform['db']['pool']
  /** How often each job's worker looks for work. Maintenance is not urgent. */
  pollingIntervalSeconds?: number
  /** How often pg-boss checks its cron schedules (1-45 s). */
  cronMonitorIntervalSeconds?: number
  /** How often due cron runs are turned into jobs (1-45 s). */
  cronWorkerIntervalSeconds?: number
}

export interface Scheduler {
  /** Queues one run of a job now (it runs on whichever process's worker takes it first). */
  send(name: string): Promise<string | null>
  stop(): Promise<void>
}

const JOB_EXPIRE_SECONDS = 30 * 60

/** Job names are prefixed by their app (or `platform`): onedesigner-expire-matches. */
const familyOf = (job: { name: string }) => job.name.split('-')[0]

export function bossFor(platform: Platform, opts: SchedulerOptions = {}): PgBoss {
  const pool = opts.pool ?? platform.db.pool
  async function executeSql(text: string, values?: unknown[]) {
    const client = await pool.connect()
    try {
      return await client.query(text, values)
    } catch (err) {
      // A failure inside pg-boss's "begin; ...; commit" strings leaves the session in an aborted
      // transaction; on PGlite's only session that would refuse every later statement.
      await client.query('rollback').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
  const boss = new PgBoss({
    db: { executeSql },
    schema: 'pgboss',
    cronMonitorIntervalSeconds: opts.cronMonitorIntervalSeconds ?? 30,
    cronWorkerIntervalSeconds: opts.cronWorkerIntervalSeconds ?? 5,
  })
  // pg-boss reports polling and maintenance failures as events; unheard, an 'error' event kills the process.
  boss.on('error', (err) => platform.log.error({ err }, 'job scheduler error'))
  return boss
}

/** Starts workers for every job and schedules (UTC) those with a cron. */
export async function startScheduler(platform: Platform, defs: JobDefinition[], opts: SchedulerOptions = {}): Promise<Scheduler> {
  const seen = new Set<string>()
  for (const def of defs) {
    if (seen.has(def.name)) throw new Error(`Two jobs are named ${def.name}`)
    seen.add(def.name)
  }
  const boss = bossFor(platform, opts)
  await boss.start()
  try {
    // A job removed from the code leaves its schedule behind; drop those in the name families
    // (platform-, onedesigner-, ...) this process runs. Other families may belong to other
    // deployments on the same database.
    const families = new Set(defs.map(familyOf))
    for (const s of await boss.getSchedules()) {
      if (families.has(familyOf(s)) && !seen.has(s.name)) await boss.unschedule(s.name)
    }
    for (const def of defs) {
      // stately: at most one run waiting and one running, so a slow run never piles up a backlog.
      await boss.createQueue(def.name, {
        name: def.name,
        policy: 'stately',
        retryLimit: 2,
        retryDelay: 60,
        expireInSeconds: JOB_EXPIRE_SECONDS,
      })
      if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: 'UTC' })
      else await boss.unschedule(def.name)
      await boss.work(def.name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 10 }, async () => runJob(platform, def))
    }
  } catch (err) {
    await boss.stop({ graceful: false, wait: true }).catch(() => {})
    throw err
  }
  platform.log.info({ jobs: defs.map((d) => `${d.name} (${d.cron ?? 'on demand'})`) }, 'job scheduler started')
  return {
    send: (name) => {
      if (!seen.has(name)) throw new Error(`No job named ${name}`)
      return boss.send(name, {})
    },
    async stop() {
      // Waits for running jobs (up to the timeout) so the pool is not closed under them.
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
    },
  }
}

/** Runs one job now, in this process, as of `at` (default: the platform clock). */
export async function runJob(platform: Platform, def: JobDefinition, at?: Date): Promise<Record<string, number | string>> {
  const now = at ?? platform.clock.now()
  const started = performance.now()
  try {
    const summary = await def.run({ platform, now })
    platform.log.info({ job: def.name, asOf: now.toISOString(), ms: Math.round(performance.now() - started), summary }, 'job done')
    return summary
  } catch (err) {
    platform.log.error({ job: def.name, asOf: now.toISOString(), err }, 'job failed')
    throw err
  }
}
