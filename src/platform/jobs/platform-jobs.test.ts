import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { DAY, HOUR, addMs } from '../clock'
import { ALL_APPS } from '../../apps'
import { jobsOf } from '../../server'
import { platformJobs, purgeDevMailbox, purgeIdempotencyKeys, purgeRefreshTokens, purgeSessionRevocations } from './platform-jobs'
import { runJob } from './scheduler'

describe('platform maintenance jobs', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())
  const db = () => env.platform.db.kysely

  it('are scheduled by the server and found by `matchbase maintain`', () => {
    const all = jobsOf(ALL_APPS)
    for (const job of platformJobs) {
      expect(all).toContain(job)
      expect(job.cron, job.name).toBeTruthy()
    }
  })

  it('purges idempotency keys past their expiry', async () => {
    const now = env.clock.now()
    const key = (k: string, expiresAt: Date) =>
      db().insertInto('platform.idempotencyKeys').values({ scope: 'test', key: k, requestHash: 'h', expiresAt }).execute()
    await key('soon', addMs(now, HOUR))
    await key('later', addMs(now, DAY))
    expect(await runJob(env.platform, purgeIdempotencyKeys, addMs(now, 30 * 60_000))).toEqual({ deleted: 0 })
    expect(await runJob(env.platform, purgeIdempotencyKeys, addMs(now, 2 * HOUR))).toEqual({ deleted: 1 })
    const left = await db().selectFrom('platform.idempotencyKeys').select('key').where('scope', '=', 'test').execute()
    expect(left.map((r) => r.key)).toEqual(['later'])
  })

  it('purges expired refresh tokens and revoked ones, but keeps a revoked token whose successor still lives', async () => {
    const now = env.clock.now()
    const userId = randomUUID()
    const token = async (name: string, o: { expiresAt: Date; revokedAt?: Date; replacedBy?: string }) => {
      const row = await db()
        .insertInto('platform.refreshTokens')
        .values({
          app: 'onedesigner',
          userId,
          role: 'client',
          tokenHash: `${name}-${randomUUID()}`,
          expiresAt: o.expiresAt,
          revokedAt: o.revokedAt ?? null,
          replacedBy: o.replacedBy ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      ids.set(row.id, name)
      return row.id
    }
    const ids = new Map<string, string>()
    const month = addMs(now, 30 * DAY)
    await token('expired', { expiresAt: addMs(now, -HOUR) })
    await token('live', { expiresAt: month })
    await token('logged-out', { expiresAt: month, revokedAt: addMs(now, -HOUR) })
    // A rotation chain still in use: rotated -> current (live).
    const current = await token('current', { expiresAt: month })
    await token('rotated', { expiresAt: month, revokedAt: addMs(now, -HOUR), replacedBy: current })
    // A chain revoked whole (reuse detected): first -> second, both revoked.
    const second = await token('second', { expiresAt: month, revokedAt: addMs(now, -HOUR) })
    await token('first', { expiresAt: month, revokedAt: addMs(now, -2 * HOUR), replacedBy: second })

    expect(await runJob(env.platform, purgeRefreshTokens, now)).toEqual({ deleted: 4 })
    const left = await db().selectFrom('platform.refreshTokens').select('id').where('userId', '=', userId).execute()
    expect(left.map((r) => ids.get(r.id)).sort()).toEqual(['current', 'live', 'rotated'])
    // Once the chain's live end expires, the whole chain goes.
    expect(await runJob(env.platform, purgeRefreshTokens, addMs(month, HOUR))).toEqual({ deleted: 3 })
  })

  it('keeps a rotated token while a twin of its session (rotated in the grace window) still lives', async () => {
    const now = env.clock.now()
    const userId = randomUUID()
    const family = randomUUID()
    const month = addMs(now, 30 * DAY)
    const row = (name: string, o: { revokedAt?: Date; replacedBy?: string; expiresAt?: Date }) =>
      db()
        .insertInto('platform.refreshTokens')
        .values({ app: 'onedesigner', userId, role: 'client', family, tokenHash: `${name}-${randomUUID()}`, expiresAt: month, ...o })
        .returning('id')
        .executeTakeFirstOrThrow()
    // first -> second (rotated, then expired); twin: issued from first within the grace window, live.
    const second = await row('second', { expiresAt: addMs(now, -HOUR) })
    await row('first', { revokedAt: addMs(now, -2 * HOUR), replacedBy: second.id })
    await row('twin', {})
    expect(await runJob(env.platform, purgeRefreshTokens, now)).toEqual({ deleted: 1 })
    expect(await db().selectFrom('platform.refreshTokens').select('id').where('family', '=', family).execute()).toHaveLength(2)
  })

  it('purges session revocations once the tokens they refuse have expired anyway', async () => {
    const now = env.clock.now()
    const entry = (subject: string, expiresAt: Date) =>
      db()
        .insertInto('platform.sessionRevocations')
        .values({ app: 'onedesigner', kind: 'session', subject, revokedBefore: now, expiresAt })
        .execute()
    await entry(randomUUID(), addMs(now, -1))
    const kept = randomUUID()
    await entry(kept, addMs(now, HOUR))
    expect(await runJob(env.platform, purgeSessionRevocations, now)).toEqual({ deleted: 1 })
    const left = await db().selectFrom('platform.sessionRevocations').select('subject').execute()
    expect(left.map((r) => r.subject)).toContain(kept)
  })

  it('purges dev-mailbox mail older than 7 days', async () => {
    const now = env.clock.now()
    const mail = (subject: string, sentAt: Date) =>
      db().insertInto('platform.devMailbox').values({ toAddress: 'someone@example.test', subject, textBody: 'x', sentAt }).execute()
    await mail('old', addMs(now, -8 * DAY))
    await mail('recent', addMs(now, -6 * DAY))
    expect(await runJob(env.platform, purgeDevMailbox, now)).toEqual({ deleted: 1 })
    const left = await db().selectFrom('platform.devMailbox').select('subject').where('toAddress', '=', 'someone@example.test').execute()
    expect(left.map((r) => r.subject)).toEqual(['recent'])
    expect(await runJob(env.platform, purgeDevMailbox, addMs(now, 2 * DAY))).toEqual({ deleted: 1 })
  })
})
