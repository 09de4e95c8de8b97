import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMatch, aMusician, anInteraction, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'
import { DAY } from '../../../platform'

describe('Bandsy super likes per plan and who liked you', () => {
  let env: TestEnv
  // The clock stays at real time: tokens are checked against it, and user_interactions_liked_me
  // reads the plan at the database's now().
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const swipe = (from: Musician, to: Musician, type: string) =>
    env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, headers: bearer(from), payload: { toUserId: to.id, type } })
  const received = (m: Musician, query = '') =>
    env.http.inject({ method: 'GET', url: `${BANDSY}/likes/received${query}`, headers: bearer(m) })
  const others = async (n: number) => Promise.all(Array.from({ length: n }, () => aMusician(env.platform)))

  it('free: 1 super like per UTC day, then 429 naming the limit, the plan and basic; a new day gives another', async () => {
    const me = await aMusician(env.platform)
    const [x, y, z] = await others(3)
    expect((await swipe(me, x, 'super_like')).statusCode).toBe(201)
    // Repeating the same super like spends nothing.
    expect((await swipe(me, x, 'super_like')).statusCode).toBe(200)
    const over = await swipe(me, y, 'super_like')
    expect(over.statusCode).toBe(429)
    expect(over.json().error).toMatchObject({ code: 'rate_limited', details: { limit: 1, plan: 'free', upgradeTo: 'basic' } })
    // A plain like is not limited.
    expect((await swipe(me, y, 'like')).statusCode).toBe(201)
    env.clock.advance(DAY)
    expect((await swipe(me, z, 'super_like')).statusCode).toBe(201)
    env.clock.advance(-DAY)
  })

  it('a super like replaced by a pass still counts: "super like, pass, super like" cannot beat the limit', async () => {
    const me = await aMusician(env.platform)
    const [x] = await others(1)
    expect((await swipe(me, x, 'super_like')).statusCode).toBe(201)
    expect((await swipe(me, x, 'pass')).statusCode).toBe(201)
    expect((await swipe(me, x, 'super_like')).statusCode).toBe(429)
  })

  it('basic gets 3 and is pointed at premium; premium gets 10; pro is unlimited', async () => {
    for (const [plan, limit, upgradeTo] of [
      ['basic', 3, 'premium'],
      ['premium', 10, 'pro'],
    ] as const) {
      const me = await aMusician(env.platform, { plan })
      const targets = await others(limit + 1)
      for (const t of targets.slice(0, limit)) expect((await swipe(me, t, 'super_like')).statusCode).toBe(201)
      const over = await swipe(me, targets[limit], 'super_like')
      expect(over.statusCode).toBe(429)
      expect(over.json().error.details).toEqual({ limit, plan, upgradeTo })
    }
    const pro = await aMusician(env.platform, { plan: 'pro' })
    for (const t of await others(12)) expect((await swipe(pro, t, 'super_like')).statusCode).toBe(201)
  })

  it('free and basic see super likes only; type=like is a 402 naming premium', async () => {
    for (const plan of [undefined, 'basic'] as const) {
      const me = await aMusician(env.platform, { plan })
      const [liker, superLiker] = await others(2)
      await anInteraction(env.platform, liker, me, 'like')
      await anInteraction(env.platform, superLiker, me, 'super_like')
      const r = await received(me)
      expect(r.statusCode).toBe(200)
      expect(r.json()).toMatchObject({ includesPlainLikes: false, nextCursor: null })
      expect(r.json().likes.map((l: { type: string; musician: { id: string } }) => [l.type, l.musician.id])).toEqual([
        ['super_like', superLiker.id],
      ])
      const plain = await received(me, '?type=like')
      expect(plain.statusCode).toBe(402)
      expect(plain.json().error).toMatchObject({ code: 'payment_required', details: { upgradeTo: 'premium', plan: plan ?? 'free' } })
    }
  })

  it('premium and pro see plain likes too, without coordinates', async () => {
    for (const plan of ['premium', 'pro'] as const) {
      const me = await aMusician(env.platform, { plan })
      const [liker, superLiker] = await others(2)
      await anInteraction(env.platform, liker, me, 'like')
      await anInteraction(env.platform, superLiker, me, 'super_like')
      const r = await received(me)
      expect(r.json().includesPlainLikes).toBe(true)
      expect(
        r
          .json()
          .likes.map((l: { musician: { id: string } }) => l.musician.id)
          .sort(),
      ).toEqual([liker.id, superLiker.id].sort())
      expect((await received(me, '?type=like')).json().likes.map((l: { musician: { id: string } }) => l.musician.id)).toEqual([liker.id])
      expect(JSON.stringify(r.json())).not.toMatch(/latitude|longitude|52\.52/)
    }
  })

  it('leaves out musicians blocked either way, deleted ones and those you already matched', async () => {
    const me = await aMusician(env.platform, { plan: 'premium' })
    const [kept, iBlocked, blockedMe, matched, deleted] = await others(5)
    for (const m of [kept, iBlocked, blockedMe, deleted]) await anInteraction(env.platform, m, me, 'super_like')
    await anInteraction(env.platform, me, iBlocked, 'block')
    await anInteraction(env.platform, blockedMe, me, 'block')
    await aMatch(env.platform, matched, me)
    await env.platform.db.kysely.updateTable('bandsy.users').set({ deletedAt: env.clock.now() }).where('id', '=', deleted.id).execute()
    const r = await received(me)
    expect(r.json().likes.map((l: { musician: { id: string } }) => l.musician.id)).toEqual([kept.id])
  })

  it('pages with a cursor', async () => {
    const me = await aMusician(env.platform)
    const likers = await others(3)
    for (const l of likers) await anInteraction(env.platform, l, me, 'super_like')
    const first = (await received(me, '?limit=2')).json()
    expect(first.likes).toHaveLength(2)
    const second = (await received(me, `?limit=2&cursor=${first.nextCursor}`)).json()
    expect(second).toMatchObject({ nextCursor: null })
    expect([...first.likes, ...second.likes].map((l: { musician: { id: string } }) => l.musician.id).sort()).toEqual(
      likers.map((l) => l.id).sort(),
    )
  })
})
