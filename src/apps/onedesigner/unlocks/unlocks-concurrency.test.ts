// A double spend needs transactions that really run at the same time. PGlite is a single
// session (a pool of one connection serialises every transaction), so this suite only means
// something on a Postgres server and is skipped on PGlite.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer } from '../../../../test/support/onedesigner'

describeOnServer('OneDesigner unlocks under concurrency (server only)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('50 simultaneous unlocks with 1 credit: exactly one succeeds, 49 get 402, one ledger row', async () => {
    const client = await aClient(env.platform, { credits: 1 })
    const brief = await aBrief(env.platform, client)
    const matches = []
    for (let i = 0; i < 50; i++) matches.push(await aMatch(env.platform, { client, designer: await aDesigner(env.platform), brief }))

    const responses = await Promise.all(
      matches.map((m) =>
        env.http.inject({
          method: 'POST',
          url: `/v1/onedesigner/matches/${m.id}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        }),
      ),
    )
    const statuses = responses.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 402)).toHaveLength(49)
    for (const r of responses.filter((x) => x.statusCode === 402)) expect(r.json().error.code).toBe('insufficient_credits')

    const db = env.platform.db.kysely
    const { matchCredits } = await db
      .selectFrom('onedesigner.clients')
      .select('matchCredits')
      .where('id', '=', client.id)
      .executeTakeFirstOrThrow()
    expect(matchCredits).toBe(0)
    const ledger = await db
      .selectFrom('platform.ledgerEntries')
      .selectAll()
      .where('accountId', '=', client.id)
      .where('reason', '=', 'unlock')
      .execute()
    expect(ledger).toHaveLength(1)
    expect(ledger[0]).toMatchObject({ delta: -1, balanceAfter: 0 })
    const unlocks = await db.selectFrom('onedesigner.clientDesigners').selectAll().where('clientId', '=', client.id).execute()
    expect(unlocks).toHaveLength(1)
    const winner = responses.find((r) => r.statusCode === 201)!.json()
    expect(unlocks[0].designerId).toBe(winner.unlock.designerId)
    const unlockedMatches = await db
      .selectFrom('onedesigner.matches')
      .select('id')
      .where('clientId', '=', client.id)
      .where('status', '=', 'unlocked')
      .execute()
    expect(unlockedMatches).toHaveLength(1)
  })

  it('10 simultaneous unlocks of the same designer charge once; the rest are free 200s', async () => {
    const client = await aClient(env.platform, { credits: 5 })
    const match = await aMatch(env.platform, { client, designer: await aDesigner(env.platform), brief: await aBrief(env.platform, client) })
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        env.http.inject({
          method: 'POST',
          url: `/v1/onedesigner/matches/${match.id}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        }),
      ),
    )
    const statuses = responses.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
    for (const r of responses) expect(r.json().balance).toBe(4)
    const db = env.platform.db.kysely
    const ledger = await db
      .selectFrom('platform.ledgerEntries')
      .selectAll()
      .where('accountId', '=', client.id)
      .where('reason', '=', 'unlock')
      .execute()
    expect(ledger).toHaveLength(1)
  })
})
