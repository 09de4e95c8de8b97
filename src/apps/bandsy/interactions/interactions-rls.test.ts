// Row-level security for interactions, matches and super-like spends, straight through withUser:
// what a musician's own SQL could do if the API let it, not only what the routes choose to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMatch, aMusician, anInteraction, type Musician } from '../../../../test/support/bandsy'
import { withUser, type Tx } from '../../../platform'

describe('Bandsy interactions and matches under row-level security', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const as = <T>(m: Musician, fn: (tx: Tx) => Promise<T>) =>
    withUser(env.platform.db.kysely, { sub: m.id, role: 'musician', app: 'bandsy' }, fn)
  /** The SQLSTATE the statement fails with, or 'ok'. */
  const attempt = (m: Musician, fn: (tx: Tx) => Promise<unknown>) =>
    as(m, fn).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? String(err),
    )
  const interactionsSeenBy = (m: Musician, fromId: string) =>
    as(m, (tx) => tx.selectFrom('bandsy.userInteractions').select(['type', 'toUserId']).where('fromUserId', '=', fromId).execute())

  it("a musician cannot read another's interactions", async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    await anInteraction(env.platform, b, c, 'like')
    await anInteraction(env.platform, b, c, 'block')
    expect(await interactionsSeenBy(a, b.id)).toEqual([])
    expect(await interactionsSeenBy(c, b.id)).toEqual([])
    expect((await interactionsSeenBy(b, b.id)).length).toBe(2)
  })

  it('liked_me: super likes sent to you are visible on every plan, plain likes only on premium and pro, passes and blocks never', async () => {
    const free = await aMusician(env.platform)
    const premium = await aMusician(env.platform, { plan: 'premium' })
    for (const me of [free, premium]) {
      const [liker, superLiker, passer, blocker] = [
        await aMusician(env.platform),
        await aMusician(env.platform),
        await aMusician(env.platform),
        await aMusician(env.platform),
      ]
      await anInteraction(env.platform, liker, me, 'like')
      await anInteraction(env.platform, superLiker, me, 'super_like')
      await anInteraction(env.platform, passer, me, 'pass')
      await anInteraction(env.platform, blocker, me, 'block')
      const seen = await as(me, (tx) =>
        tx.selectFrom('bandsy.userInteractions').select(['type']).where('toUserId', '=', me.id).orderBy('type').execute(),
      )
      expect(seen.map((r) => r.type)).toEqual(me === free ? ['super_like'] : ['like', 'super_like'])
    }
  })

  it('a musician cannot insert an interaction as someone else, nor delete theirs', async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    expect(
      await attempt(a, (tx) =>
        tx.insertInto('bandsy.userInteractions').values({ fromUserId: b.id, toUserId: c.id, type: 'like', context: 'discovery' }).execute(),
      ),
    ).toBe('42501')
    await anInteraction(env.platform, b, c, 'block')
    await as(a, (tx) => tx.deleteFrom('bandsy.userInteractions').where('fromUserId', '=', b.id).execute())
    expect(await interactionsSeenBy(b, b.id)).toEqual([{ type: 'block', toUserId: c.id }])
  })

  it('matches: no inserts, no score edits, no reviving; a participant may only end an active match', async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const [lo, hi] = [a.id, c.id].sort()
    expect(await attempt(a, (tx) => tx.insertInto('bandsy.matches').values({ user1Id: lo, user2Id: hi }).execute())).toBe('42501')
    const { matchId } = await aMatch(env.platform, a, b)
    expect(await attempt(a, (tx) => tx.updateTable('bandsy.matches').set({ matchScore: 100 }).where('id', '=', matchId).execute())).toBe(
      '42501',
    )
    // An outsider sees no row to update.
    const outsider = await as(c, (tx) =>
      tx.updateTable('bandsy.matches').set({ status: 'unmatched' }).where('id', '=', matchId).executeTakeFirst(),
    )
    expect(Number(outsider.numUpdatedRows)).toBe(0)
    expect(await attempt(a, (tx) => tx.updateTable('bandsy.matches').set({ status: 'active' }).where('id', '=', matchId).execute())).toBe(
      '42501',
    )
    const ended = await as(a, (tx) =>
      tx.updateTable('bandsy.matches').set({ status: 'unmatched' }).where('id', '=', matchId).executeTakeFirst(),
    )
    expect(Number(ended.numUpdatedRows)).toBe(1)
    const revived = await as(b, (tx) =>
      tx.updateTable('bandsy.matches').set({ status: 'active' }).where('id', '=', matchId).executeTakeFirst(),
    )
    expect(Number(revived.numUpdatedRows)).toBe(0)
    const { status } = await env.platform.db.kysely
      .selectFrom('bandsy.matches')
      .select('status')
      .where('id', '=', matchId)
      .executeTakeFirstOrThrow()
    expect(status).toBe('unmatched')
    expect(await as(c, (tx) => tx.selectFrom('bandsy.matches').select('id').where('id', '=', matchId).execute())).toEqual([])
  })

  it('create_mutual_match makes nothing without both likes, or with a block, whoever calls it', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const call = (m: Musician, other: Musician) =>
      as(
        m,
        async (tx) =>
          (await sql<{ matchId: string }>`select match_id from bandsy.create_mutual_match(${other.id}::uuid, 50, '[]'::json)`.execute(tx))
            .rows,
      )
    await anInteraction(env.platform, a, b, 'like')
    expect(await call(a, b)).toEqual([])
    await anInteraction(env.platform, b, a, 'like')
    await anInteraction(env.platform, b, a, 'block')
    expect(await call(a, b)).toEqual([])
    expect(await env.platform.db.kysely.selectFrom('bandsy.matches').select('id').where('user1Id', 'in', [a.id, b.id]).execute()).toEqual(
      [],
    )
  })

  it('super-like spends: your own only, and none can be removed', async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    await env.platform.db.kysely.insertInto('bandsy.superLikeSpends').values({ userId: b.id, toUserId: c.id }).execute()
    expect(await as(a, (tx) => tx.selectFrom('bandsy.superLikeSpends').select('id').execute())).toEqual([])
    expect(await attempt(a, (tx) => tx.insertInto('bandsy.superLikeSpends').values({ userId: b.id, toUserId: c.id }).execute())).toBe(
      '42501',
    )
    expect(await attempt(b, (tx) => tx.deleteFrom('bandsy.superLikeSpends').where('userId', '=', b.id).execute())).toBe('42501')
    expect(await as(b, (tx) => tx.selectFrom('bandsy.superLikeSpends').select('id').execute())).toHaveLength(1)
  })
})
