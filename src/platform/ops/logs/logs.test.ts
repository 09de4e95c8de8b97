import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import pino from 'pino'
import { createTestEnv, onServer, type TestEnv } from '../../../../test/support/test-env'
import { recordRoundTrips } from '../../../../test/support/round-trips'
import { codeIn, freshIp, uniqueEmail, waitForMail } from '../../../../test/support/otp-mail'
import { aMusician, BANDSY, bearer } from '../../../../test/support/bandsy'
import { testConfig } from '../../config'
import { withUser } from '../../db/with-user'
import type { DB } from '../../db/schema.generated'
import { DAY, addMs } from '../../clock'
import { createLogBuffer, type AccessEntry } from './log-buffer'
import { maintainLogPartitions, monthsOf, PARTITIONED_LOGS } from './partitions'
import { runJob } from '../../jobs/scheduler'
import { platformJobs } from '../../jobs/platform-jobs'

const monthKey = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`
const addMonths = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1))

function anAccessEntry(o: Partial<AccessEntry> = {}): AccessEntry {
  return {
    at: new Date(),
    app: 'bandsy',
    method: 'GET',
    route: '/v1/bandsy/me',
    status: 200,
    durationMs: 1.5,
    userId: null,
    requestId: 'r-1',
    ...o,
  }
}

describe('partitioned log tables', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())
  const db = () => env.platform.db.kysely

  it('the job is a platform job, and creates the next months ahead for every log table', async () => {
    expect(platformJobs.map((j) => j.name)).toContain('platform-log-partitions')
    const job = platformJobs.find((j) => j.name === 'platform-log-partitions')!
    // The migration created the current month and 3 ahead (of the clock when it ran).
    const now = new Date()
    for (const log of PARTITIONED_LOGS) {
      const months = (await monthsOf(db(), log.table)).map((m) => m.partition.slice(-6))
      expect(months, log.table).toEqual(expect.arrayContaining([0, 1, 2, 3].map((n) => monthKey(addMonths(now, n)))))
    }
    const later = new Date('2031-05-20T12:00:00Z')
    const summary = await runJob(env.platform, job, later)
    expect(summary.created).toBe(PARTITIONED_LOGS.length * 4)
    for (const log of PARTITIONED_LOGS) {
      const months = (await monthsOf(db(), log.table)).map((m) => m.partition.slice(-6))
      expect(months, log.table).toEqual(expect.arrayContaining(['203105', '203106', '203107', '203108']))
      expect(months, log.table).not.toContain('203109')
    }
    // Run again: nothing new.
    expect((await runJob(env.platform, job, later)).created).toBe(0)
  })

  it('drops a month past retention with its rows and keeps recent ones; errors outlive plain requests', async () => {
    const now = new Date('2031-06-15T00:00:00Z')
    const at = (days: number) => addMs(now, -days * DAY)
    // Months that had no partition yet: the rows wait in the default partitions until the job runs.
    await sql`insert into platform.audit_log (at, app, action) values (${at(400)}, 'bandsy', 'old'), (${at(20)}, 'bandsy', 'recent')`.execute(
      db(),
    )
    await sql`insert into platform.user_activity (at, app, user_id, action)
              values (${at(400)}, 'bandsy', gen_random_uuid(), 'sign_in'), (${at(20)}, 'bandsy', gen_random_uuid(), 'sign_in')`.execute(
      db(),
    )
    const buffer = createLogBuffer(db, testConfig(), pino({ level: 'silent' }))
    buffer.access(anAccessEntry({ at: at(130), status: 200, requestId: 'old-ok' }))
    buffer.access(anAccessEntry({ at: at(130), status: 503, requestId: 'old-error' }))
    buffer.access(anAccessEntry({ at: at(50), status: 200, requestId: 'month-ok' }))
    buffer.access(anAccessEntry({ at: at(50), status: 500, requestId: 'month-error' }))
    buffer.access(anAccessEntry({ at: at(3), status: 200, requestId: 'new-ok' }))
    expect(await buffer.flush()).toEqual({ access: 5, activity: 0, dropped: 0 })
    await buffer.close()

    const dryRun = await maintainLogPartitions(db(), now, { dryRun: true })
    expect(dryRun.dropped.length).toBeGreaterThan(0)
    const auditCount = async () =>
      (await db().selectFrom('platform.auditLog').select('action').where('app', '=', 'bandsy').execute()).length
    expect(await auditCount()).toBe(2)

    const out = await maintainLogPartitions(db(), now)
    const byName = (a: { partition: string }, b: { partition: string }) => a.partition.localeCompare(b.partition)
    expect([...out.dropped].sort(byName)).toEqual([...dryRun.dropped].sort(byName))
    const dropped = (table: string) => out.dropped.filter((d) => d.table === table).map((d) => [d.partition.slice(-6), d.rows])
    // The waiting months got partitions of their own, then the expired ones were dropped whole.
    expect(dropped('platform.audit_log')).toContainEqual([monthKey(at(400)), 1])
    expect(dropped('platform.user_activity')).toContainEqual([monthKey(at(400)), 1])
    expect(dropped('platform.access_log_requests')).toEqual(
      expect.arrayContaining([
        [monthKey(at(130)), 1],
        [monthKey(at(50)), 1],
      ]),
    )
    expect(dropped('platform.access_log_errors')).toContainEqual([monthKey(at(130)), 1])
    const audit = await db().selectFrom('platform.auditLog').select('action').where('app', '=', 'bandsy').execute()
    expect(audit.map((r) => r.action)).toEqual(['recent'])
    const access = await db().selectFrom('platform.accessLog').select('requestId').orderBy('requestId').execute()
    expect(access.map((r) => r.requestId)).toEqual(['month-error', 'new-ok'])
    // Nothing waits in a default partition any more.
    for (const log of PARTITIONED_LOGS) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${log.table}_default`)}`.execute(db())
      expect(rows[0].n, log.table).toBe(0)
    }
  })

  it('keeps the audit log append-only for the owner and the user role of every app, on the parent and on a partition', async () => {
    await env.platform.audit.record(db(), { app: 'onedesigner', action: 'append-only.probe' })
    const [partition] = await monthsOf(db(), 'platform.audit_log')
    for (const target of ['platform.audit_log', partition.partition]) {
      await expect(sql`update ${sql.table(target)} set action = 'x'`.execute(db())).rejects.toThrow(/append-only|permission denied/)
      await expect(sql`delete from ${sql.table(target)}`.execute(db())).rejects.toThrow(/append-only|permission denied/)
      await expect(sql`truncate ${sql.table(target)}`.execute(db())).rejects.toThrow(/append-only/)
    }
    const claims = [
      { sub: '00000000-0000-4000-8000-0000000000a1', role: 'admin', app: 'onedesigner' },
      { sub: '00000000-0000-4000-8000-0000000000a2', role: 'client', app: 'onedesigner' },
      { sub: '00000000-0000-4000-8000-0000000000a3', role: 'musician', app: 'bandsy' },
    ]
    for (const who of claims)
      for (const table of ['platform.audit_log', 'platform.access_log', 'platform.user_activity', partition.partition]) {
        for (const statement of [
          sql`update ${sql.table(table)} set app = 'x'`,
          sql`delete from ${sql.table(table)}`,
          sql`truncate ${sql.table(table)}`,
        ])
          await expect(
            withUser(db(), who, (tx) => statement.execute(tx)),
            `${who.role} on ${table}`,
          ).rejects.toThrow(/append-only|permission denied/)
      }
    expect((await db().selectFrom('platform.auditLog').select('id').where('action', '=', 'append-only.probe').execute()).length).toBe(1)
  })

  it('shows the access log and user activity to an app’s admins only', async () => {
    const buffer = createLogBuffer(db, testConfig(), pino({ level: 'silent' }))
    buffer.access(anAccessEntry({ app: 'onedesigner', route: '/v1/onedesigner/me', requestId: 'rls-probe' }))
    await buffer.close()
    const read = (role: string, app: string) =>
      withUser(db(), { sub: '00000000-0000-4000-8000-0000000000c1', role, app }, (tx) =>
        tx.selectFrom('platform.accessLog').select('requestId').where('requestId', '=', 'rls-probe').execute(),
      )
    expect(await read('admin', 'onedesigner')).toHaveLength(1)
    expect(await read('admin', 'bandsy')).toHaveLength(0)
    expect(await read('client', 'onedesigner')).toHaveLength(0)
  })
})

describe('access log and user activity from requests', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())
  const db = () => env.platform.db.kysely

  it('buffers one row per request (route pattern, no query string) and writes nothing on the request path', async () => {
    const me = await aMusician(env.platform)
    const recorder = onServer ? recordRoundTrips(env.platform.db.pool) : undefined
    const res = await env.http.inject({
      method: 'GET',
      url: `${BANDSY}/users/${me.username}?secret=hunter2`,
      headers: { ...bearer(me), 'x-request-id': 'access-probe-1' },
    })
    const trips = recorder?.stop() ?? []
    expect(res.statusCode).toBeLessThan(500)
    expect(trips.filter((t) => /access_log|user_activity/.test(t.sql))).toEqual([])
    // The onResponse hook runs once the answer is out.
    await new Promise((r) => setImmediate(r))
    expect(env.platform.logs.pending()).toBeGreaterThan(0)
    const before = await db().selectFrom('platform.accessLog').selectAll().where('requestId', '=', 'access-probe-1').execute()
    expect(before).toEqual([])

    const flushed = await env.platform.logs.flush()
    expect(flushed.access).toBeGreaterThan(0)
    const row = await db().selectFrom('platform.accessLog').selectAll().where('requestId', '=', 'access-probe-1').executeTakeFirstOrThrow()
    expect(row).toMatchObject({ app: 'bandsy', method: 'GET', route: '/v1/bandsy/users/:username', status: res.statusCode, userId: me.id })
    expect(row.durationMs).toBeGreaterThanOrEqual(0)
    expect(JSON.stringify(row)).not.toMatch(/hunter2|secret/)
  })

  it('records a sign-in (OTP verified) and an account deletion in user_activity', async () => {
    const email = uniqueEmail('activity')
    const sent = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/otp`, payload: { email }, remoteAddress: freshIp() })
    expect(sent.statusCode).toBe(202)
    const [mail] = await waitForMail(env, email, 1)
    const wrongCode = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/auth/otp/verify`,
      payload: { email, code: codeIn(mail.text) === '000000' ? '000001' : '000000' },
      remoteAddress: freshIp(),
    })
    expect(wrongCode.statusCode).toBe(401)
    const verified = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/auth/otp/verify`,
      payload: { email, code: codeIn(mail.text) },
      remoteAddress: freshIp(),
    })
    expect(verified.statusCode).toBe(200)
    const session = verified.json()
    const deleted = await env.http.inject({
      method: 'DELETE',
      url: `${BANDSY}/me`,
      headers: { authorization: `Bearer ${session.accessToken}` },
    })
    expect(deleted.statusCode).toBe(204)
    await new Promise((r) => setImmediate(r))
    await env.platform.logs.flush()
    const activity = await db()
      .selectFrom('platform.userActivity')
      .select(['action', 'app'])
      .where('userId', '=', session.user.id)
      .orderBy('id')
      .execute()
    expect(activity).toEqual([
      { action: 'sign_in', app: 'bandsy' },
      { action: 'account_delete', app: 'bandsy' },
    ])
  })

  it('writes what is buffered when the server closes', async () => {
    const own = await createTestEnv()
    try {
      const me = await aMusician(own.platform)
      await own.http.inject({ method: 'GET', url: `${BANDSY}/me`, headers: { ...bearer(me), 'x-request-id': 'close-probe' } })
      await new Promise((r) => setImmediate(r))
      expect(own.platform.logs.pending()).toBeGreaterThan(0)
      await own.http.close()
      expect(own.platform.logs.pending()).toBe(0)
      const rows = await own.platform.db.kysely
        .selectFrom('platform.accessLog')
        .select('route')
        .where('requestId', '=', 'close-probe')
        .execute()
      expect(rows).toEqual([{ route: '/v1/bandsy/me' }])
    } finally {
      await own.close()
    }
  })

  it('does not log with ACCESS_LOG=off, and refuses bad values', async () => {
    const off = createLogBuffer(db, testConfig({ ACCESS_LOG: 'off' }), pino({ level: 'silent' }))
    off.access(anAccessEntry())
    expect(off.pending()).toBe(0)
    await off.close()
    expect(() => testConfig({ ACCESS_LOG: 'maybe' })).toThrow(/ACCESS_LOG/)
  })

  it('drops a batch it cannot write, with a warning, and bounds the buffer', async () => {
    const warnings: string[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) })
    // Nothing listens on port 1: every statement fails at once.
    const failing = new Kysely<DB>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 1000 }),
      }),
    })
    const buffer = createLogBuffer(() => failing, testConfig({ ACCESS_LOG_BUFFER_MAX: '10' }), log)
    for (let i = 0; i < 15; i++) buffer.access(anAccessEntry({ requestId: `r${i}` }))
    expect(buffer.pending()).toBe(10)
    const out = await buffer.flush()
    expect(out).toEqual({ access: 0, activity: 0, dropped: 5 })
    expect(warnings).toEqual(expect.arrayContaining(['log buffer was full: entries dropped', 'access log batch not written: dropped']))
    expect(buffer.pending()).toBe(0)
    await buffer.close()
    await failing.destroy()
  })
})
