import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import type { TestEnv } from '../../../../test/support/test-env'
import { aMusician, type Musician } from '../../../../test/support/bandsy'
import { paymentEvent, plusDays, setup, type subscriptionApi } from '../../../../test/support/bandsy-subscriptions'

describe('Bandsy subscriptions: pending payments and the webhook', () => {
  let env: TestEnv
  let http: ReturnType<typeof subscriptionApi>
  beforeAll(async () => {
    ;({ env, http } = await setup())
  })
  afterAll(() => env.close())

  async function pendingPurchase(m: Musician, plan = 'basic') {
    const res = await http.buy(m, { plan, paymentMethod: 'pm_card_authenticationRequired' })
    expect(res.statusCode).toBe(202)
    expect(res.json().clientSecret).toMatch(/_secret_/)
    expect(res.json().purchase.status).toBe('pending')
    return res.json().purchase as { id: string; providerPaymentId: string }
  }

  it('grants nothing until the webhook; the webhook starts the subscription once however often delivered', async () => {
    const m = await aMusician(env.platform)
    const purchase = await pendingPurchase(m)
    expect((await http.mine(m)).json().plan).toBe('free')
    const { payload, signature } = paymentEvent(purchase)
    const results = await Promise.all([1, 2, 3].map(() => http.webhook(payload, signature)))
    expect(results.map((r) => r.json().result).sort()).toEqual(['already_settled', 'already_settled', 'subscribed'])
    const redelivered = paymentEvent(purchase, { eventId: 'evt_again' })
    expect((await http.webhook(redelivered.payload, redelivered.signature)).json()).toEqual({
      received: true,
      result: 'already_settled',
      purchaseId: purchase.id,
    })
    const mine = (await http.mine(m)).json()
    expect(mine.plan).toBe('basic')
    expect(mine.purchases[0]).toMatchObject({ id: purchase.id, status: 'succeeded', subscriptionId: mine.subscription.id })
    expect(mine.history).toHaveLength(1)
  })

  it('marks a pending purchase failed on a failure event', async () => {
    const m = await aMusician(env.platform)
    const purchase = await pendingPurchase(m)
    const failed = paymentEvent(purchase, { failed: 'Authentication failed' })
    expect((await http.webhook(failed.payload, failed.signature)).json().result).toBe('failed')
    const mine = (await http.mine(m)).json()
    expect(mine).toMatchObject({ plan: 'free', subscription: null })
    expect(mine.purchases[0]).toMatchObject({ status: 'failed', failureMessage: 'Authentication failed' })
  })

  it('a lower plan paid after an upgrade lengthens the higher plan instead of losing the money', async () => {
    const m = await aMusician(env.platform)
    const pending = await pendingPurchase(m, 'basic')
    const now = env.clock.now()
    const up = (await http.buy(m, { plan: 'premium' })).json().subscription
    const { payload, signature } = paymentEvent(pending)
    expect((await http.webhook(payload, signature)).json().result).toBe('subscribed')
    const mine = (await http.mine(m)).json()
    expect(mine.plan).toBe('premium')
    expect(mine.subscription).toMatchObject({ id: up.id, planType: 'premium', endDate: plusDays(now, 60) })
  })

  it('ignores other apps and unknown payments; refuses forged and unsigned webhooks; empty is 400', async () => {
    const m = await aMusician(env.platform)
    const purchase = await pendingPurchase(m)
    const other = paymentEvent(purchase, { app: 'onedesigner' })
    expect((await http.webhook(other.payload, other.signature)).json().result).toBe('ignored')
    const unknown = paymentEvent({ id: randomUUID(), providerPaymentId: 'pi_unknown' })
    expect((await http.webhook(unknown.payload, unknown.signature)).json().result).toBe('unknown_payment')
    const good = paymentEvent(purchase)
    expect((await http.webhook(good.payload.replace('"livemode":false', '"livemode":true'), good.signature)).statusCode).toBe(401)
    const unsigned = await http.webhook(good.payload)
    expect(unsigned.statusCode).toBe(401)
    expect(unsigned.json().error.code).toBe('unauthorized')
    expect((await http.webhook('', 't=1,v1=abc')).statusCode).toBe(400)
    expect((await http.webhook('hello', 't=1,v1=abc', 'text/plain')).statusCode).toBe(401)
    expect((await http.mine(m)).json().plan).toBe('free')
  })
})
