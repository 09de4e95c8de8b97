import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOUR } from '../../../platform'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { projectRequestJobs } from './jobs'

describe('OneDesigner project request expiry job', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const job = projectRequestJobs.find((j) => j.name === 'onedesigner-expire-requests')!
  const db = () => env.platform.db.kysely
  const statusOf = async (id: string) =>
    (await db().selectFrom('onedesigner.projectRequests').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
  const expiredNotices = (user: TestUser) =>
    db()
      .selectFrom('onedesigner.notifications')
      .selectAll()
      .where('userId', '=', user.id)
      .where('type', '=', 'project_request.expired')
      .execute()

  async function sentRequest() {
    const client = await aClient(env.platform, { credits: 1 })
    const designer = await aDesigner(env.platform)
    const match = await aMatch(env.platform, { client, designer, brief: await aBrief(env.platform, client) })
    expect(
      (
        await env.http.inject({
          method: 'POST',
          url: `/v1/onedesigner/matches/${match.id}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        })
      ).statusCode,
    ).toBe(201)
    const res = await env.http.inject({
      method: 'POST',
      url: '/v1/onedesigner/project-requests',
      headers: bearer(client),
      payload: { matchId: match.id, message: 'Would you design our logo?' },
    })
    expect(res.statusCode).toBe(201)
    return { client, designer, match, id: res.json().request.id as string }
  }

  it('is scheduled every five minutes', () => {
    expect(job.cron).toBe('*/5 * * * *')
  })

  it('expires requests past their 72-hour deadline as of now, and tells both sides', async () => {
    const due = await sentRequest()
    env.clock.advance(2 * HOUR)
    const notYet = await sentRequest()

    // 71 hours after the first request: nothing is due yet.
    expect(await job.run({ platform: env.platform, now: new Date(env.clock.now().getTime() + 69 * HOUR) })).toEqual({ expired: 0 })
    expect(await statusOf(due.id)).toBe('pending')

    env.clock.advance(71 * HOUR) // 73 hours after the first, 71 after the second
    expect(await job.run({ platform: env.platform, now: env.clock.now() })).toEqual({ expired: 1 })
    expect(await statusOf(due.id)).toBe('expired')
    expect(await statusOf(notYet.id)).toBe('pending')
    expect(await expiredNotices(due.client)).toHaveLength(1)
    expect(await expiredNotices(due.designer)).toHaveLength(1)
    expect(await expiredNotices(notYet.client)).toHaveLength(0)
    expect(await expiredNotices(notYet.designer)).toHaveLength(0)

    // Running again finds nothing new; a late answer is refused; the slot is free again.
    expect(await job.run({ platform: env.platform, now: env.clock.now() })).toEqual({ expired: 0 })
    const late = await env.http.inject({
      method: 'POST',
      url: `/v1/onedesigner/project-requests/${due.id}/accept`,
      headers: bearer(due.designer),
    })
    expect(late.statusCode).toBe(410)
    const again = await env.http.inject({
      method: 'POST',
      url: '/v1/onedesigner/project-requests',
      headers: bearer(due.client),
      payload: { matchId: due.match.id, message: 'Still interested?' },
    })
    expect(again.statusCode).toBe(201)

    env.clock.advance(2 * HOUR)
    expect(await job.run({ platform: env.platform, now: env.clock.now() })).toEqual({ expired: 1 })
    expect(await statusOf(notYet.id)).toBe('expired')
  })
})
