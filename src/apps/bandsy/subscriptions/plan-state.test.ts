import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, anInteraction, type Musician } from '../../../../test/support/bandsy'
import { subscriptionApi } from '../../../../test/support/bandsy-subscriptions'
import { withUser, DAY } from '../../../platform'
import { planOf } from '../plans'
import { expireSubscriptions } from './jobs'

const claimsOf = (m: Musician) => ({ sub: m.id, role: 'musician', app: 'bandsy' })

describe('Bandsy plan state: cancel, expiry and who may change what', () => {
  let env: TestEnv
  let http: ReturnType<typeof subscriptionApi>
  beforeAll(async () => {
    env = await createTestEnv()
    http = subscriptionApi(env)
  })
  afterAll(() => env.close())

  /** A fresh token: moving the clock past a token's life would make every call a 401. */
  const signedNow = async (m: Musician) => ({
    ...m,
    token: await env.platform.tokens.sign({ sub: m.id, role: 'musician', app: 'bandsy' }, env.clock.now()),
  })
  const planAt = (m: Musician, at: Date) => planOf(env.platform.db.kysely, m.id, at)

  it('planOf flips at purchase, upgrade, cancel (not before end_date) and expiry; the job marks it expired', async () => {
    let m = await aMusician(env.platform)
    const t0 = env.clock.now()
    expect(await planAt(m, t0)).toBe('free')
    await http.buy(m, { plan: 'basic' })
    expect(await planAt(m, t0)).toBe('basic')
    env.clock.advance(DAY)
    const t1 = env.clock.now()
    m = await signedNow(m)
    await http.buy(m, { plan: 'premium' })
    expect(await planAt(m, t1)).toBe('premium')
    const cancel = await http.cancel(m)
    expect(cancel.statusCode).toBe(200)
    expect(cancel.json()).toMatchObject({
      plan: 'premium',
      subscription: { planType: 'premium', status: 'cancelled' },
      features: { seeWhoLikedYou: true },
    })
    // Cancelling stops renewal, not the period paid for (with the 29 unused days of basic carried
    // over: floor(29/30 × 499) = 482 cents = floor(482 × 2,592,000 / 999) = 1,250,594 s of premium).
    const end = new Date(t1.getTime() + 30 * DAY + 1_250_594_000)
    expect(await planAt(m, new Date(end.getTime() - 1))).toBe('premium')
    expect(await planAt(m, end)).toBe('free')
    expect((await http.mine(m)).json()).toMatchObject({
      plan: 'premium',
      subscription: { status: 'cancelled', endDate: end.toISOString() },
    })
    env.clock.set(end)
    m = await signedNow(m)
    expect((await http.mine(m)).json()).toMatchObject({
      plan: 'free',
      subscription: null,
      features: { maxSearchRadiusKm: 50, seeWhoLikedYou: false },
    })
  })

  it('an active subscription past its end_date gives free at once; the job then marks it expired', async () => {
    let m = await aMusician(env.platform)
    const bought = (await http.buy(m, { plan: 'pro' })).json().subscription
    env.clock.set(new Date(new Date(bought.endDate).getTime() + 60_000))
    m = await signedNow(m)
    expect(await planAt(m, env.clock.now())).toBe('free')
    expect((await http.mine(m)).json().history[0]).toMatchObject({ id: bought.id, status: 'active' })
    const ran = await expireSubscriptions.run({ platform: env.platform, now: env.clock.now() })
    expect(ran.expired).toBeGreaterThanOrEqual(1)
    expect((await http.mine(m)).json().history[0]).toMatchObject({ id: bought.id, status: 'expired' })
    expect(await expireSubscriptions.run({ platform: env.platform, now: env.clock.now() })).toEqual({ expired: 0 })
    // Nothing active any more: a new purchase starts a new subscription.
    const again = await http.buy(m, { plan: 'basic' })
    expect(again.statusCode).toBe(201)
    expect(again.json().subscription.id).not.toBe(bought.id)
  })

  it('the job leaves running and cancelled subscriptions alone', async () => {
    const m = await aMusician(env.platform)
    await http.buy(m, { plan: 'basic' })
    const other = await aMusician(env.platform)
    await http.buy(other, { plan: 'basic' })
    await http.cancel(other)
    await expireSubscriptions.run({ platform: env.platform, now: env.clock.now() })
    expect((await http.mine(m)).json().subscription.status).toBe('active')
    expect((await http.mine(other)).json().subscription.status).toBe('cancelled')
  })

  it('cancel answers 409 when there is nothing active to cancel, also the second time', async () => {
    const m = await aMusician(env.platform)
    const none = await http.cancel(m)
    expect(none.statusCode).toBe(409)
    expect(none.json().error.code).toBe('conflict')
    await http.buy(m, { plan: 'basic' })
    expect((await http.cancel(m)).statusCode).toBe(200)
    expect((await http.cancel(m)).statusCode).toBe(409)
  })

  it('buying the cancelled plan again makes it active and 30 days longer; a lower one waits until it ends', async () => {
    let m = await aMusician(env.platform)
    const first = (await http.buy(m, { plan: 'premium' })).json().subscription
    await http.cancel(m)
    const lower = await http.buy(m, { plan: 'basic' })
    expect(lower.statusCode).toBe(409)
    expect(lower.json().error.details).toMatchObject({ plan: 'premium', status: 'cancelled' })
    const again = await http.buy(m, { plan: 'premium' })
    expect(again.json().subscription).toMatchObject({
      id: first.id,
      status: 'active',
      endDate: new Date(new Date(first.endDate).getTime() + 30 * DAY).toISOString(),
    })
    await http.cancel(m)
    env.clock.set(new Date(new Date(first.endDate).getTime() + 30 * DAY))
    m = await signedNow(m)
    expect((await http.buy(m, { plan: 'basic' })).json()).toMatchObject({
      plan: 'basic',
      subscription: { planType: 'basic', status: 'active' },
    })
  })

  it('a cancelled premium still sees plain likes (user_interactions_liked_me); an ended one does not', async () => {
    // The policy asks plan_of at the database's now(), so these subscriptions are set in real time.
    const fan = await aMusician(env.platform)
    const liked = await aMusician(env.platform)
    const lapsed = await aMusician(env.platform)
    await anInteraction(env.platform, fan, liked, 'like')
    await anInteraction(env.platform, fan, lapsed, 'like')
    const now = Date.now()
    await sql`insert into bandsy.subscriptions (user_id, plan_type, status, start_date, end_date) values
      (${liked.id}, 'premium', 'cancelled', ${new Date(now - DAY)}, ${new Date(now + DAY)}),
      (${lapsed.id}, 'premium', 'cancelled', ${new Date(now - 31 * DAY)}, ${new Date(now - DAY)})`.execute(env.platform.db.kysely)
    const likesSeen = (m: Musician) =>
      withUser(
        env.platform.db.kysely,
        claimsOf(m),
        async (tx) =>
          (await sql<{ n: number }>`select count(*)::int as n from bandsy.user_interactions where to_user_id = ${m.id}`.execute(tx)).rows[0]
            .n,
      )
    expect(await likesSeen(liked)).toBe(1)
    expect(await likesSeen(lapsed)).toBe(0)
  })

  it('row-level security: no one reads or changes another musician’s subscriptions or purchases', async () => {
    const alice = await aMusician(env.platform)
    const bob = await aMusician(env.platform)
    const bought = (await http.buy(alice, { plan: 'basic' })).json()
    const asBob = <T>(fn: Parameters<typeof withUser<T>>[2]) => withUser(env.platform.db.kysely, claimsOf(bob), fn)
    const seen = await asBob(async (tx) => ({
      subscriptions: (await sql<{ n: number }>`select count(*)::int as n from bandsy.subscriptions`.execute(tx)).rows[0].n,
      purchases: (await sql<{ n: number }>`select count(*)::int as n from bandsy.subscription_purchases`.execute(tx)).rows[0].n,
    }))
    expect(seen).toEqual({ subscriptions: 0, purchases: 0 })
    const cancelled = await asBob((tx) =>
      sql`update bandsy.subscriptions set status = 'cancelled' where id = ${bought.subscription.id}`.execute(tx),
    )
    expect(Number(cancelled.numAffectedRows)).toBe(0)
    expect((await http.mine(bob)).json().history).toEqual([])
    expect((await http.mine(alice)).json().subscription.status).toBe('active')
  })

  it('row-level security: a musician cannot grant themselves a plan or un-cancel one', async () => {
    const m = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const bought = (await http.buy(m, { plan: 'basic' })).json()
    const asMe = <T>(fn: Parameters<typeof withUser<T>>[2]) => withUser(env.platform.db.kysely, claimsOf(m), fn)
    const id = bought.subscription.id
    await expect(
      asMe((tx) =>
        sql`insert into bandsy.subscriptions (user_id, plan_type, status, start_date) values (${m.id}, 'pro', 'active', now())`.execute(tx),
      ),
    ).rejects.toThrow(/permission denied/)
    await expect(
      asMe((tx) => sql`update bandsy.subscriptions set end_date = end_date + interval '1 year' where id = ${id}`.execute(tx)),
    ).rejects.toThrow(/permission denied/)
    await expect(asMe((tx) => sql`update bandsy.subscriptions set plan_type = 'pro' where id = ${id}`.execute(tx))).rejects.toThrow(
      /permission denied/,
    )
    await expect(asMe((tx) => sql`update bandsy.subscriptions set status = 'expired' where id = ${id}`.execute(tx))).rejects.toThrow(
      /row-level security/,
    )
    expect((await http.cancel(m)).statusCode).toBe(200)
    const back = await asMe((tx) => sql`update bandsy.subscriptions set status = 'active' where id = ${id}`.execute(tx))
    expect(Number(back.numAffectedRows)).toBe(0)
    // Purchases: recorded pending by the musician, settled only by the payment flow.
    await expect(
      asMe((tx) => sql`update bandsy.subscription_purchases set status = 'succeeded' where id = ${bought.purchase.id}`.execute(tx)),
    ).rejects.toThrow(/permission denied/)
    for (const [userId, status] of [
      [m.id, 'succeeded'],
      [other.id, 'pending'],
    ])
      await expect(
        asMe((tx) =>
          sql`insert into bandsy.subscription_purchases (user_id, plan_type, amount_cents, currency, provider, status)
              values (${userId}, 'pro', 1, 'usd', 'local', ${status})`.execute(tx),
        ),
      ).rejects.toThrow(/row-level security/)
    expect((await http.mine(m)).json()).toMatchObject({ plan: 'basic', subscription: { status: 'cancelled' } })
  })
})
