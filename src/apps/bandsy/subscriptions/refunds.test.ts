// Refunding a subscription purchase through the platform flow: the refunded period comes off the
// subscription it started or extended, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestEnv } from '../../../../test/support/test-env'
import { aMusician } from '../../../../test/support/bandsy'
import { setup, type subscriptionApi, subscriptionRows } from '../../../../test/support/bandsy-subscriptions'
import { DAY } from '../../../platform'
import { refundSubscriptionPurchase } from './service'

describe('Bandsy subscription refunds', () => {
  let env: TestEnv
  let http: ReturnType<typeof subscriptionApi>
  beforeAll(async () => {
    ;({ env, http } = await setup())
  })
  afterAll(() => env.close())

  it('takes one period off an extended subscription, and refunds once', async () => {
    const m = await aMusician(env.platform)
    const first = (await http.buy(m, { plan: 'premium' })).json()
    const second = (await http.buy(m, { plan: 'premium' })).json()
    const end = new Date(second.subscription.endDate).getTime()
    const [a, b] = await Promise.all([1, 2].map(() => refundSubscriptionPurchase(env.platform, second.purchase.id)))
    expect([a.refunded, b.refunded].sort()).toEqual([false, true])
    const rows = await subscriptionRows(env, m.id)
    expect(rows).toHaveLength(1)
    expect(rows[0].endDate.getTime()).toBe(end - 30 * DAY)
    expect(rows[0].status).toBe('active')
    const mine = (await http.mine(m)).json()
    expect(mine.plan).toBe('premium')
    expect(mine.purchases.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual(
      expect.arrayContaining([
        [first.purchase.id, 'succeeded'],
        [second.purchase.id, 'refunded'],
      ]),
    )
  })

  it('ends a subscription whose only period is refunded, and a retried purchase answers 409', async () => {
    const m = await aMusician(env.platform)
    const key = `refund-${m.id}`
    const bought = (await http.buy(m, { plan: 'basic' }, key)).json()
    const out = await refundSubscriptionPurchase(env.platform, bought.purchase.id)
    expect(out.reversal).toMatchObject({ changed: true, status: 'expired' })
    expect((await http.mine(m)).json().plan).toBe('free')
    // Past the HTTP replay (a new request with the key would replay); the service answers from the record.
    await env.platform.db.kysely.deleteFrom('platform.idempotencyKeys').execute()
    const again = await http.buy(m, { plan: 'basic' }, key)
    expect(again.statusCode).toBe(409)
    expect(again.json().error.message).toMatch(/refunded/)
  })
})
