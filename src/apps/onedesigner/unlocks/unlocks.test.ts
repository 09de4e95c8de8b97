import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY } from '../../../platform'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer, type TestUser } from '../../../../test/support/onedesigner'

describe('OneDesigner unlocks', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const db = () => env.platform.db.kysely
  /** key: the Idempotency-Key to send (a fresh one by default; null sends none). */
  const unlock = (user: TestUser | undefined, matchId: string, key: string | null = randomUUID()) =>
    env.http.inject({
      method: 'POST',
      url: `/v1/onedesigner/matches/${matchId}/unlock`,
      headers: { ...(user ? bearer(user) : {}), ...(key === null ? {} : { 'idempotency-key': key }) },
    })
  const balanceOf = async (client: TestUser) =>
    (await db().selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', client.id).executeTakeFirstOrThrow()).matchCredits
  const ledgerOf = (client: TestUser) =>
    db()
      .selectFrom('platform.ledgerEntries')
      .select(['delta', 'balanceAfter', 'reason', 'reference'])
      .where('accountId', '=', client.id)
      .where('reason', '=', 'unlock')
      .orderBy('id')
      .execute()
  const matchRow = (id: string) =>
    db().selectFrom('onedesigner.matches').select(['status', 'unlockedAt']).where('id', '=', id).executeTakeFirstOrThrow()
  const unlockRows = (client: TestUser) =>
    db().selectFrom('onedesigner.clientDesigners').selectAll().where('clientId', '=', client.id).execute()

  async function clientWithMatch(credits: number, designerOpts: Parameters<typeof aDesigner>[1] = {}) {
    const client = await aClient(env.platform, { credits })
    const designer = await aDesigner(env.platform, designerOpts)
    const brief = await aBrief(env.platform, client)
    const match = await aMatch(env.platform, { client, designer, brief })
    return { client, designer, brief, match }
  }

  it('spends exactly one credit, reveals the email, marks the match unlocked, writes the ledger and the audit log', async () => {
    const { client, designer, match } = await clientWithMatch(3)
    const res = await unlock(client, match.id)
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body.balance).toBe(2)
    expect(body.charged).toBe(1)
    expect(body.unlock).toMatchObject({ designerId: designer.id, matchId: match.id, creditsUsed: 1, unlockedVia: 'credit' })
    expect(body.unlock.designer).toMatchObject({ id: designer.id, email: designer.email, firstName: 'Dana' })
    expect(new Date(body.unlock.unlockedAt).getTime()).toBe(env.clock.now().getTime())

    expect(await balanceOf(client)).toBe(2)
    expect(await ledgerOf(client)).toEqual([{ delta: -1, balanceAfter: 2, reason: 'unlock', reference: `designer:${designer.id}` }])
    const m = await matchRow(match.id)
    expect(m.status).toBe('unlocked')
    expect(m.unlockedAt?.getTime()).toBe(env.clock.now().getTime())
    const audit = await db()
      .selectFrom('platform.auditLog')
      .selectAll()
      .where('action', '=', 'designer.unlocked')
      .where('subjectId', '=', designer.id)
      .execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ app: 'onedesigner', actorId: client.id, actorRole: 'client', subjectType: 'designer' })
    expect(audit[0].data).toMatchObject({ matchId: match.id, creditsUsed: 1, balanceAfter: 2 })
  })

  it('unlocks a designer again for free: 200 with the same unlock, balance and ledger untouched', async () => {
    const { client, designer, match } = await clientWithMatch(2)
    const first = await unlock(client, match.id)
    expect(first.statusCode).toBe(201)
    const again = await unlock(client, match.id)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({
      balance: 1,
      charged: 0,
      unlock: { id: first.json().unlock.id, designer: { email: designer.email } },
    })

    // The same designer matched on another brief is already unlocked too.
    const otherBrief = await aBrief(env.platform, client, { title: 'Website' })
    const otherMatch = await aMatch(env.platform, { client, designer, brief: otherBrief })
    const viaOther = await unlock(client, otherMatch.id)
    expect(viaOther.statusCode).toBe(200)
    expect(viaOther.json()).toMatchObject({ balance: 1, charged: 0, unlock: { id: first.json().unlock.id, matchId: match.id } })
    expect((await matchRow(otherMatch.id)).status).toBe('unlocked')

    expect(await balanceOf(client)).toBe(1)
    expect(await ledgerOf(client)).toHaveLength(1)
    expect(await unlockRows(client)).toHaveLength(1)
  })

  it('answers 402 at zero credits and changes nothing', async () => {
    const { client, match } = await clientWithMatch(0)
    const res = await unlock(client, match.id)
    expect(res.statusCode).toBe(402)
    const err = res.json().error
    expect(err.code).toBe('insufficient_credits')
    expect(err.message).toMatch(/costs 1 credit/)
    expect(err.details).toMatchObject({ needed: 1, balance: 0 })
    expect(await balanceOf(client)).toBe(0)
    expect(await ledgerOf(client)).toEqual([])
    expect(await unlockRows(client)).toEqual([])
    expect((await matchRow(match.id)).status).toBe('active')
  })

  it('runs out after the last credit: the second designer costs a credit the client no longer has', async () => {
    const { client, match } = await clientWithMatch(1)
    const brief2 = await aBrief(env.platform, client)
    const match2 = await aMatch(env.platform, { client, designer: await aDesigner(env.platform), brief: brief2 })
    expect((await unlock(client, match.id)).statusCode).toBe(201)
    expect((await unlock(client, match2.id)).statusCode).toBe(402)
    expect(await balanceOf(client)).toBe(0)
    expect(await ledgerOf(client)).toHaveLength(1)
  })

  it('refuses an expired match with 410 and spends nothing', async () => {
    const { client, match } = await clientWithMatch(2)
    env.clock.advance(8 * DAY) // aMatch expires after 7 days
    try {
      const res = await unlock(client, match.id)
      expect(res.statusCode).toBe(410)
      expect(res.json().error).toMatchObject({ code: 'gone', message: expect.stringMatching(/expired/) })
    } finally {
      env.clock.advance(-8 * DAY)
    }
    const { client: c2, match: m2 } = await clientWithMatch(2)
    await db().updateTable('onedesigner.matches').set({ status: 'expired' }).where('id', '=', m2.id).execute()
    expect((await unlock(c2, m2.id)).statusCode).toBe(410)
    expect(await balanceOf(client)).toBe(2)
    expect(await balanceOf(c2)).toBe(2)
  })

  it('keeps an unlocked match unlocked after its expiry date: re-unlocking stays free', async () => {
    const { client, match } = await clientWithMatch(1)
    expect((await unlock(client, match.id)).statusCode).toBe(201)
    env.clock.advance(30 * DAY)
    try {
      const res = await unlock(client, match.id)
      expect(res.statusCode).toBe(200)
      expect(res.json().charged).toBe(0)
    } finally {
      env.clock.advance(-30 * DAY)
    }
  })

  it('refuses a designer who is no longer approved with 409 and spends nothing', async () => {
    const { client, designer, match } = await clientWithMatch(1)
    await db().updateTable('onedesigner.designers').set({ isApproved: false }).where('id', '=', designer.id).execute()
    const res = await unlock(client, match.id)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.message).toMatch(/no longer available/)
    expect(await balanceOf(client)).toBe(1)
    expect(await unlockRows(client)).toEqual([])
  })

  it("does not let a client unlock another client's match (RLS): 404, nobody's credits move", async () => {
    const { client: owner, match } = await clientWithMatch(1)
    const intruder = await aClient(env.platform, { credits: 5 })
    const res = await unlock(intruder, match.id)
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('not_found')
    expect(await balanceOf(owner)).toBe(1)
    expect(await balanceOf(intruder)).toBe(5)
    expect(await unlockRows(intruder)).toEqual([])
    expect((await matchRow(match.id)).status).toBe('active')
  })

  it('lists only the caller’s unlocked designers, with contact details', async () => {
    const { client, designer, match } = await clientWithMatch(2)
    const other = await clientWithMatch(2)
    await unlock(client, match.id)
    await unlock(other.client, other.match.id)
    const res = await env.http.inject({ method: 'GET', url: '/v1/onedesigner/unlocks', headers: bearer(client) })
    expect(res.statusCode).toBe(200)
    const { unlocks } = res.json()
    expect(unlocks).toHaveLength(1)
    expect(unlocks[0]).toMatchObject({ designerId: designer.id, matchId: match.id, designer: { email: designer.email } })

    const fresh = await aClient(env.platform)
    const none = await env.http.inject({ method: 'GET', url: '/v1/onedesigner/unlocks', headers: bearer(fresh) })
    expect(none.json()).toEqual({ unlocks: [] })
  })

  it('replays a retry with the same Idempotency-Key instead of spending again', async () => {
    const { client, match } = await clientWithMatch(2)
    const key = randomUUID()
    const first = await unlock(client, match.id, key)
    expect(first.statusCode).toBe(201)
    const retry = await unlock(client, match.id, key)
    expect(retry.statusCode).toBe(201)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(retry.body).toBe(first.body)
    expect(await balanceOf(client)).toBe(1)
    expect(await ledgerOf(client)).toHaveLength(1)

    const missing = await unlock(client, match.id, null)
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error.message).toMatch(/idempotency-key/i)

    const brief2 = await aBrief(env.platform, client)
    const match2 = await aMatch(env.platform, { client, designer: await aDesigner(env.platform), brief: brief2 })
    const reused = await unlock(client, match2.id, key)
    expect(reused.statusCode).toBe(422)
    expect(reused.json().error.code).toBe('idempotency_key_reused')
    expect(await balanceOf(client)).toBe(1)
  })

  it('answers bad requests with 4xx JSON', async () => {
    const { client, designer, match } = await clientWithMatch(1)
    const cases = [
      { res: await unlock(undefined, match.id), status: 401, code: 'unauthorized' },
      { res: await unlock(designer, match.id), status: 403, code: 'forbidden' },
      { res: await unlock(client, 'not-a-uuid'), status: 400, code: 'validation_failed' },
      { res: await unlock(client, '00000000-0000-4000-8000-000000000000'), status: 404, code: 'not_found' },
      {
        res: await env.http.inject({
          method: 'POST',
          url: `/v1/onedesigner/matches/${match.id}/unlock`,
          headers: { ...bearer(client), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          payload: '{bad',
        }),
        status: 400,
        code: 'invalid_json',
      },
      { res: await unlock(client, match.id, null), status: 400, code: 'validation_failed' },
      { res: await unlock(client, match.id, ''), status: 400, code: 'validation_failed' },
      { res: await unlock(client, match.id, 'x'.repeat(256)), status: 400, code: 'validation_failed' },
      { res: await env.http.inject({ method: 'GET', url: '/v1/onedesigner/unlocks' }), status: 401, code: 'unauthorized' },
      {
        res: await env.http.inject({ method: 'GET', url: '/v1/onedesigner/unlocks', headers: bearer(designer) }),
        status: 403,
        code: 'forbidden',
      },
    ]
    for (const c of cases) {
      expect(c.res.statusCode, c.res.body).toBe(c.status)
      expect(c.res.json().error.code).toBe(c.code)
    }
    expect(await balanceOf(client)).toBe(1)
  })
})
