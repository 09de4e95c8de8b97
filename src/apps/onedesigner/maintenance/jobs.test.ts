import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch } from '../../../../test/support/onedesigner'
import { runJob, DAY, HOUR, addMs } from '../../../platform'
import { onedesigner } from '../index'
import { cleanupCache, cleanupTokens, expireMatches, maintenanceJobs, refreshStats } from './jobs'

describe('OneDesigner maintenance jobs', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const db = () => env.platform.db.kysely
  const statusOf = async (id: string) =>
    (await db().selectFrom('onedesigner.matches').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

  it('are in the app manifest, each with a schedule', () => {
    expect(maintenanceJobs.map((j) => j.name)).toEqual([
      'onedesigner-expire-matches',
      'onedesigner-cleanup-tokens',
      'onedesigner-cleanup-cache',
      'onedesigner-refresh-stats',
    ])
    for (const job of maintenanceJobs) {
      expect(onedesigner.jobs).toContain(job)
      expect(job.cron, job.name).toBeTruthy()
    }
    expect(refreshStats.cron).toBe('0 * * * *')
  })

  it('expires a match only after its 7 days, and leaves unlocked matches alone', async () => {
    const created = env.clock.now()
    const client = await aClient(env.platform)
    const designer = await aDesigner(env.platform)
    const other = await aDesigner(env.platform)
    const brief = await aBrief(env.platform, client)
    const match = await aMatch(env.platform, { client, designer, brief })
    const unlocked = await aMatch(env.platform, { client, designer: other, brief })
    await db().updateTable('onedesigner.matches').set({ status: 'unlocked' }).where('id', '=', unlocked.id).execute()

    env.clock.set(addMs(created, 7 * DAY - HOUR))
    expect(await runJob(env.platform, expireMatches)).toEqual({ expired: 0 })
    expect(await statusOf(match.id)).toBe('active')

    env.clock.set(addMs(created, 7 * DAY + HOUR))
    expect(await runJob(env.platform, expireMatches)).toEqual({ expired: 1 })
    expect(await statusOf(match.id)).toBe('expired')
    expect(await statusOf(unlocked.id)).toBe('unlocked')
    expect(await runJob(env.platform, expireMatches)).toEqual({ expired: 0 })
  })

  it('refuses a match without expires_at (migrations 0012 and 0013), and gives one the 7-day default', async () => {
    const client = await aClient(env.platform)
    const designer = await aDesigner(env.platform)
    const brief = await aBrief(env.platform, client)
    const match = await aMatch(env.platform, { client, designer, brief })
    await expect(sql`update onedesigner.matches set expires_at = null where id = ${match.id}`.execute(db())).rejects.toMatchObject({
      code: '23502',
    })
    const row = await sql<{ days: number }>`
      insert into onedesigner.matches (client_id, designer_id, brief_id, score, reasons)
      values (${client.id}, ${(await aDesigner(env.platform)).id}, ${brief.id}, 50, '{}')
      returning extract(epoch from expires_at - created_at)::float8 / 86400 as days`.execute(db())
    expect(Math.round(row.rows[0].days)).toBe(7)
  })

  it('deletes unverified login codes past their expiry, keeping verified and live ones', async () => {
    const now = env.clock.now()
    const token = (email: string, expiresAt: Date, verified: boolean) =>
      db()
        .insertInto('onedesigner.authTokens')
        .values({ email, code: 'hash', type: 'client', purpose: 'login', expiresAt, verified })
        .returning('id')
        .executeTakeFirstOrThrow()
    const stale = await token('stale@example.test', addMs(now, 10 * 60_000), false)
    const used = await token('used@example.test', addMs(now, 10 * 60_000), true)
    const live = await token('live@example.test', addMs(now, 2 * HOUR), false)

    expect(await runJob(env.platform, cleanupTokens, addMs(now, 5 * 60_000))).toEqual({ deleted: 0 })
    expect(await runJob(env.platform, cleanupTokens, addMs(now, HOUR))).toEqual({ deleted: 1 })
    const left = await db().selectFrom('onedesigner.authTokens').select('id').where('id', 'in', [stale.id, used.id, live.id]).execute()
    expect(left.map((r) => r.id).sort()).toEqual([used.id, live.id].sort())
  })

  it('deletes match-cache entries past their lifetime', async () => {
    const now = env.clock.now()
    const client = await aClient(env.platform)
    const brief = await aBrief(env.platform, client)
    const d1 = await aDesigner(env.platform)
    const d2 = await aDesigner(env.platform)
    const entry = (designerId: string, expiresAt: Date) =>
      db()
        .insertInto('onedesigner.matchCache')
        .values({ briefId: brief.id, designerId, score: 70, reasons: ['fit'], expiresAt })
        .returning('id')
        .executeTakeFirstOrThrow()
    const old = await entry(d1.id, addMs(now, 24 * HOUR))
    const fresh = await entry(d2.id, addMs(now, 48 * HOUR))
    expect(await runJob(env.platform, cleanupCache, addMs(now, 23 * HOUR))).toEqual({ deleted: 0 })
    expect(await runJob(env.platform, cleanupCache, addMs(now, 25 * HOUR))).toEqual({ deleted: 1 })
    const left = await db().selectFrom('onedesigner.matchCache').select('id').where('id', 'in', [old.id, fresh.id]).execute()
    expect(left.map((r) => r.id)).toEqual([fresh.id])
  })

  it('refreshes designer_quick_stats so new designers and matches show', async () => {
    const client = await aClient(env.platform)
    const designer = await aDesigner(env.platform)
    const brief = await aBrief(env.platform, client)
    await aMatch(env.platform, { client, designer, brief, score: 80 })
    const stats = () =>
      sql<{ totalMatches: number; avgMatchScore: number }>`
        select total_matches, avg_match_score from onedesigner.designer_quick_stats where designer_id = ${designer.id}`.execute(db())
    expect((await stats()).rows).toEqual([])
    const summary = await runJob(env.platform, refreshStats)
    const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from onedesigner.designers`.execute(db())
    expect(summary).toEqual({ designers: count[0].n })
    expect((await stats()).rows.map((r) => ({ total: Number(r.totalMatches), avg: Number(r.avgMatchScore) }))).toEqual([
      { total: 1, avg: 80 },
    ])
  })
})
