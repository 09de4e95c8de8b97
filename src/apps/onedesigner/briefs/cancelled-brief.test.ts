// Issue 10, item 17: a match of a cancelled brief can no longer be unlocked or lead to a project
// request — refused by the API (409) and by the database (migration 0011's trigger).
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer, type TestUser } from '../../../../test/support/onedesigner'

let env: TestEnv
beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

const db = () => env.platform.db.kysely
const OD = '/v1/onedesigner'
const unlock = (client: TestUser, matchId: string) =>
  env.http.inject({
    method: 'POST',
    url: `${OD}/matches/${matchId}/unlock`,
    headers: { ...bearer(client), 'idempotency-key': randomUUID() },
  })
const cancel = (client: TestUser, briefId: string) =>
  env.http.inject({ method: 'POST', url: `${OD}/briefs/${briefId}/cancel`, headers: bearer(client) })
const request = (client: TestUser, matchId: string) =>
  env.http.inject({
    method: 'POST',
    url: `${OD}/project-requests`,
    headers: bearer(client),
    payload: { matchId, message: 'Would you like to work on this with us?' },
  })
const credits = async (client: TestUser) =>
  (await db().selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', client.id).executeTakeFirstOrThrow()).matchCredits

async function matched(credits = 3) {
  const client = await aClient(env.platform, { credits })
  const designer = await aDesigner(env.platform)
  const brief = await aBrief(env.platform, client)
  const match = await aMatch(env.platform, { client, designer, brief })
  return { client, designer, brief, match }
}

describe('a cancelled brief', () => {
  it('refuses to unlock its match: 409, no credit spent, no unlock row', async () => {
    const { client, brief, match } = await matched()
    expect((await cancel(client, brief.id)).statusCode).toBe(200)
    const res = await unlock(client, match.id)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error).toMatchObject({ code: 'conflict', details: { matchId: match.id, briefStatus: 'cancelled' } })
    expect(await credits(client)).toBe(3)
    expect(await db().selectFrom('onedesigner.clientDesigners').select('id').where('clientId', '=', client.id).execute()).toEqual([])
  })

  it('refuses a project request even for a designer unlocked before the cancel; the unlock itself stays', async () => {
    const { client, brief, match } = await matched()
    expect((await unlock(client, match.id)).statusCode).toBe(201)
    expect((await cancel(client, brief.id)).statusCode).toBe(200)
    const res = await request(client, match.id)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error).toMatchObject({ code: 'conflict', details: { matchId: match.id, briefStatus: 'cancelled' } })
    expect(await db().selectFrom('onedesigner.projectRequests').select('id').where('clientId', '=', client.id).execute()).toEqual([])
    // Unlocking again sells nothing and answers with the unlock the client already has.
    const again = await unlock(client, match.id)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ charged: 0, balance: 2 })
  })

  it('an active brief still unlocks and requests', async () => {
    const { client, match } = await matched()
    expect((await unlock(client, match.id)).statusCode).toBe(201)
    expect((await request(client, match.id)).statusCode).toBe(201)
  })

  it('the database refuses both too, whoever writes (the system role bypasses row-level security)', async () => {
    const { client, designer, brief, match } = await matched()
    await db().updateTable('onedesigner.briefs').set({ status: 'cancelled' }).where('id', '=', brief.id).execute()
    const now = env.clock.now()
    await expect(
      sql`insert into onedesigner.client_designers (client_id, designer_id, match_id, unlocked_via, credits_used, unlocked_at, created_at)
          values (${client.id}, ${designer.id}, ${match.id}, 'credit', 1, ${now}, ${now})`.execute(db()),
    ).rejects.toMatchObject({ code: '23514', constraint: 'brief_not_cancelled' })
    await expect(
      sql`insert into onedesigner.project_requests (match_id, client_id, designer_id, message, brief_snapshot, response_deadline, status)
          values (${match.id}, ${client.id}, ${designer.id}, 'hello', '{}'::jsonb, ${new Date(now.getTime() + 86_400_000)}, 'pending')`.execute(
        db(),
      ),
    ).rejects.toMatchObject({ code: '23514', constraint: 'brief_not_cancelled' })
  })
})
