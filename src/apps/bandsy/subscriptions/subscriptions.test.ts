import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'
import {
  type countingProvider,
  plusDays,
  purchaseRows,
  setup,
  type subscriptionApi,
  subscriptionRows,
} from '../../../../test/support/bandsy-subscriptions'
import { DAY } from '../../../platform'
import { planOf } from '../plans'
import { carryOver } from './settlement'

describe('Bandsy subscriptions: buying', () => {
  let env: TestEnv
  let payments: ReturnType<typeof countingProvider>
  let http: ReturnType<typeof subscriptionApi>
  beforeAll(async () => {
    ;({ env, payments, http } = await setup())
  })
  afterAll(() => env.close())
  const chargesOf = (m: Musician) => payments.charges.filter((c) => c.accountId === m.id)

  it('lists the plans with prices and features, without a token', async () => {
    const res = await env.http.inject({ method: 'GET', url: `${BANDSY}/plans` })
    expect(res.statusCode).toBe(200)
    expect(res.json().plans.map((p: { plan: string; priceCents: number }) => [p.plan, p.priceCents])).toEqual([
      ['free', 0],
      ['basic', 499],
      ['premium', 999],
      ['pro', 1999],
    ])
    expect(res.json().plans[2]).toEqual({
      plan: 'premium',
      priceCents: 999,
      currency: 'usd',
      periodDays: 30,
      features: { maxSearchRadiusKm: 250, superLikesPerDay: 10, seeWhoLikedYou: true },
    })
    const unknownQuery = await env.http.inject({ method: 'GET', url: `${BANDSY}/plans?plan=pro` })
    expect(unknownQuery.statusCode).toBe(400)
    expect(unknownQuery.json().error.message).toMatch(/plan/)
  })

  it('charges the plan price once and starts a 30-day subscription in the same transaction', async () => {
    const m = await aMusician(env.platform)
    const now = env.clock.now()
    const res = await http.buy(m, { plan: 'basic' }, 'buy-basic')
    expect(res.statusCode).toBe(201)
    const { purchase, subscription, plan } = res.json()
    expect(plan).toBe('basic')
    expect(purchase).toMatchObject({
      planType: 'basic',
      amountCents: 499,
      currency: 'usd',
      provider: 'local',
      status: 'succeeded',
      subscriptionId: subscription.id,
    })
    expect(subscription).toMatchObject({ planType: 'basic', status: 'active', startDate: now.toISOString(), endDate: plusDays(now, 30) })
    expect(chargesOf(m)).toEqual([
      expect.objectContaining({
        app: 'bandsy',
        reference: purchase.id,
        amountCents: 499,
        idempotencyKey: `bandsy:subscription-purchase:${m.id}:buy-basic`,
      }),
    ])
    const mine = await http.mine(m)
    expect(mine.statusCode).toBe(200)
    expect(mine.json()).toMatchObject({
      plan: 'basic',
      features: { maxSearchRadiusKm: 100, superLikesPerDay: 3, seeWhoLikedYou: false },
      subscription: { id: subscription.id },
    })
    expect(mine.json().history).toHaveLength(1)
    expect(mine.json().purchases).toEqual([purchase])
  })

  it('replays a retry with the same key: identical answer, one charge, one purchase, one subscription', async () => {
    const m = await aMusician(env.platform)
    const first = await http.buy(m, { plan: 'premium' }, 'retry-key')
    const again = await http.buy(m, { plan: 'premium' }, 'retry-key')
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.body).toBe(first.body)
    expect(chargesOf(m)).toHaveLength(1)
    expect(await purchaseRows(env, m.id)).toHaveLength(1)
    expect(await subscriptionRows(env, m.id)).toHaveLength(1)
  })

  it('refuses the same key for another plan (422), also after the key expired', async () => {
    const m = await aMusician(env.platform)
    await http.buy(m, { plan: 'basic' }, 'reuse-key')
    const reused = await http.buy(m, { plan: 'pro' }, 'reuse-key')
    expect(reused.statusCode).toBe(422)
    expect(reused.json().error.code).toBe('idempotency_key_reused')
    env.clock.advance(DAY + 1000)
    const later = await http.buy(
      { ...m, token: await env.platform.tokens.sign({ sub: m.id, role: 'musician', app: 'bandsy' }, env.clock.now()) },
      { plan: 'pro' },
      'reuse-key',
    )
    expect(later.statusCode).toBe(422)
    expect(chargesOf(m)).toHaveLength(1)
  })

  it('never grants a key twice, even after the key expired', async () => {
    const m = await aMusician(env.platform)
    const first = await http.buy(m, { plan: 'basic' }, 'expiring-key')
    env.clock.advance(DAY + 1000)
    const fresh = { ...m, token: await env.platform.tokens.sign({ sub: m.id, role: 'musician', app: 'bandsy' }, env.clock.now()) }
    const later = await http.buy(fresh, { plan: 'basic' }, 'expiring-key')
    expect(later.statusCode).toBe(201)
    expect(later.headers['idempotent-replayed']).toBeUndefined()
    expect(later.json().purchase.id).toBe(first.json().purchase.id)
    expect(later.json().subscription.endDate).toBe(first.json().subscription.endDate)
    expect(await subscriptionRows(env, m.id)).toHaveLength(1)
  })

  it('extends the plan you hold by 30 days when you buy it again', async () => {
    const m = await aMusician(env.platform)
    const now = env.clock.now()
    const first = (await http.buy(m, { plan: 'premium' })).json().subscription
    env.clock.advance(DAY)
    const second = await http.buy(m, { plan: 'premium' })
    expect(second.statusCode).toBe(201)
    expect(second.json().subscription).toMatchObject({
      id: first.id,
      status: 'active',
      startDate: now.toISOString(),
      endDate: plusDays(now, 60),
    })
    expect(await subscriptionRows(env, m.id)).toHaveLength(1)
  })

  it('upgrading ends the lower plan now and starts the higher one now, with the unused days carried over', async () => {
    const m = await aMusician(env.platform)
    await http.buy(m, { plan: 'basic' })
    env.clock.advance(3 * DAY)
    const now = env.clock.now()
    const up = await http.buy(m, { plan: 'pro' })
    expect(up.statusCode).toBe(201)
    // 27 unused days of basic: floor(27/30 × 499) = 449 cents, at pro's 1999 cents per 30 days
    // floor(449 × 2,592,000 / 1999) = 582,195 seconds more.
    const end = new Date(now.getTime() + 30 * DAY + 582_195_000).toISOString()
    expect(up.json()).toMatchObject({
      plan: 'pro',
      subscription: { planType: 'pro', status: 'active', startDate: now.toISOString(), endDate: end },
    })
    expect((await subscriptionRows(env, m.id)).map((s) => [s.planType, s.status, s.endDate.toISOString()])).toEqual([
      ['basic', 'cancelled', now.toISOString()],
      ['pro', 'active', end],
    ])
    expect(await planOf(env.platform.db.kysely, m.id, now)).toBe('pro')
  })

  it('three periods of basic, then premium: the 90 unused days (1497 cents) become 44 days 22:55:08 of premium (issue 10, item 8)', async () => {
    const m = await aMusician(env.platform)
    const bought = env.clock.now()
    for (let i = 0; i < 3; i++) expect((await http.buy(m, { plan: 'basic' })).statusCode).toBe(201)
    expect((await subscriptionRows(env, m.id)).map((s) => s.endDate.toISOString())).toEqual([plusDays(bought, 90)])
    const up = await http.buy(m, { plan: 'premium' })
    expect(up.statusCode).toBe(201)
    // Cents: 3 × 499 paid for basic, 999 charged for premium; nothing extra charged or refunded.
    expect(chargesOf(m).map((c) => c.amountCents)).toEqual([499, 499, 499, 999])
    expect(carryOver({ planType: 'basic', endDate: new Date(plusDays(bought, 90)) }, 'premium', bought)).toEqual({
      remainingMs: 90 * DAY,
      carriedCents: 1497,
      // 1497 × 2,592,000 s / 999 = 3,884,108.1 s, rounded down
      extraMs: 3_884_108_000,
    })
    // Dates: premium from now for 30 days plus 44 days 22 h 55 min 8 s; basic ends now (1 ms after it began,
    // as every period must be non-empty: it was bought in the same instant).
    const end = new Date(bought.getTime() + 30 * DAY + ((44 * 24 + 22) * 3600 + 55 * 60 + 8) * 1000).toISOString()
    expect(up.json()).toMatchObject({
      plan: 'premium',
      subscription: { planType: 'premium', startDate: bought.toISOString(), endDate: end },
    })
    expect((await subscriptionRows(env, m.id)).map((s) => [s.planType, s.status, s.endDate.toISOString()])).toEqual([
      ['basic', 'cancelled', new Date(bought.getTime() + 1).toISOString()],
      ['premium', 'active', end],
    ])
    // The carried time is worth what was unused: 74.95 days of premium ≥ 90 days of basic in cents.
    expect(((30 * DAY + 3_884_108_000) / (30 * DAY)) * 999).toBeGreaterThanOrEqual(999 + 1497 - 1)
  })

  it('refuses a lower plan while a higher one runs (409), before charging anything', async () => {
    const m = await aMusician(env.platform)
    await http.buy(m, { plan: 'premium' })
    const down = await http.buy(m, { plan: 'basic' })
    expect(down.statusCode).toBe(409)
    expect(down.json().error).toMatchObject({ code: 'conflict', details: { plan: 'premium', status: 'active' } })
    expect(chargesOf(m)).toHaveLength(1)
    expect(await purchaseRows(env, m.id)).toHaveLength(1)
  })

  it('answers a decline with 402 and a failed purchase, and grants nothing', async () => {
    const m = await aMusician(env.platform)
    const res = await http.buy(m, { plan: 'basic', paymentMethod: 'pm_card_declined' }, 'declined-key')
    expect(res.statusCode).toBe(402)
    expect(res.json().error.code).toBe('payment_required')
    expect(res.json().error.details.purchase).toMatchObject({
      status: 'failed',
      failureMessage: 'Your card was declined.',
      subscriptionId: null,
    })
    expect((await http.mine(m)).json()).toMatchObject({ plan: 'free', subscription: null, history: [] })
    const again = await http.buy(m, { plan: 'basic', paymentMethod: 'pm_card_declined' }, 'declined-key')
    expect(again.body).toBe(res.body)
    expect(await subscriptionRows(env, m.id)).toEqual([])
  })

  it('lets a retry run after a provider outage (502) and still makes one purchase', async () => {
    const m = await aMusician(env.platform)
    payments.failNext = 1
    const down = await http.buy(m, { plan: 'basic' }, 'outage-key')
    expect(down.statusCode).toBe(502)
    const retry = await http.buy(m, { plan: 'basic' }, 'outage-key')
    expect(retry.statusCode).toBe(201)
    expect(await purchaseRows(env, m.id)).toEqual([{ id: retry.json().purchase.id, status: 'succeeded' }])
    expect(await subscriptionRows(env, m.id)).toHaveLength(1)
  })

  it('answers bad requests with 4xx JSON naming the problem, and records nothing', async () => {
    const m = await aMusician(env.platform)
    const cases: [unknown, string][] = [
      [{}, 'body.plan'],
      [{ plan: 'free' }, 'body.plan'],
      [{ plan: 'gold' }, 'body.plan'],
      [{ plan: 7 }, 'body.plan'],
      [{ plan: 'basic', paymentMethod: 'visa' }, 'body.paymentMethod'],
      [{ plan: 'basic', paymentMethod: 'pm_' + 'x'.repeat(300) }, 'body.paymentMethod'],
      [[], 'body'],
    ]
    for (const [body, field] of cases) {
      const res = await http.buy(m, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.message).toContain(field)
    }
    const noKey = await http.buy(m, { plan: 'basic' }, null)
    expect(noKey.statusCode).toBe(400)
    expect(noKey.json().error.message).toMatch(/idempotency-key/i)
    const badJson = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/subscriptions`,
      headers: { ...bearer(m), 'idempotency-key': 'k', 'content-type': 'application/json' },
      payload: '{"plan":',
    })
    expect(badJson.statusCode).toBe(400)
    expect(badJson.json().error.code).toBe('invalid_json')
    const noToken = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/subscriptions`,
      headers: { 'idempotency-key': 'k' },
      payload: { plan: 'basic' },
    })
    expect(noToken.statusCode).toBe(401)
    for (const url of ['/subscription', '/subscription/cancel'])
      expect((await env.http.inject({ method: url.endsWith('cancel') ? 'POST' : 'GET', url: `${BANDSY}${url}` })).statusCode).toBe(401)
    const badLimit = await env.http.inject({ method: 'GET', url: `${BANDSY}/subscription?limit=0`, headers: bearer(m) })
    expect(badLimit.statusCode).toBe(400)
    const notMusician = { ...m, token: await env.platform.tokens.sign({ sub: m.id, role: 'admin', app: 'bandsy' }, env.clock.now()) }
    expect((await http.buy(notMusician, { plan: 'basic' })).statusCode).toBe(403)
    expect(await purchaseRows(env, m.id)).toEqual([])
  })
})

// Real concurrency needs the Postgres server: PGlite is one session behind a pool of one
// connection, so parallel requests would simply queue and never race.
describeOnServer('Bandsy subscriptions under concurrent retries', () => {
  let env: TestEnv
  let payments: ReturnType<typeof countingProvider>
  let http: ReturnType<typeof subscriptionApi>
  beforeAll(async () => {
    ;({ env, payments, http } = await setup())
  })
  afterAll(() => env.close())

  it('50 concurrent purchases with one Idempotency-Key: one charge, one purchase, one subscription', async () => {
    const m = await aMusician(env.platform)
    const key = randomUUID()
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => new Promise((r) => setTimeout(r, i * 8)).then(() => http.buy(m, { plan: 'premium' }, key))),
    )
    const final = await http.buy(m, { plan: 'premium' }, key)
    expect(final.statusCode).toBe(201)
    const created = answers.filter((a) => a.statusCode === 201)
    expect(created.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    for (const a of answers) {
      if (a.statusCode === 201) expect(a.body).toBe(final.body)
      else expect([a.statusCode, a.json().error.code]).toEqual([409, 'idempotency_in_progress'])
    }
    expect(payments.charges.filter((c) => c.accountId === m.id)).toHaveLength(1)
    expect(await purchaseRows(env, m.id)).toHaveLength(1)
    expect(await subscriptionRows(env, m.id)).toHaveLength(1)
  })

  it('concurrent purchases with different keys each grant one period, never two active subscriptions', async () => {
    const m = await aMusician(env.platform)
    const now = env.clock.now()
    const answers = await Promise.all(Array.from({ length: 10 }, () => http.buy(m, { plan: 'basic' })))
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(201))
    const rows = await subscriptionRows(env, m.id)
    expect(rows).toHaveLength(1)
    expect(rows[0].endDate.toISOString()).toBe(plusDays(now, 300))
  })
})
