// Refunding a credit purchase through the platform flow: the provider refunds the payment once,
// the purchase becomes refunded, and the credits still unspent leave the balance with a ledger row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { countingProvider } from '../../../../test/support/counting-payments'
import { AppError } from '../../../platform'
import { refundCreditPurchase } from './service'

const BASE = '/v1/onedesigner'

describe('OneDesigner credit refunds', () => {
  let env: TestEnv
  const refunds: string[] = []
  beforeAll(async () => {
    const payments = countingProvider()
    const refund = payments.refund
    payments.refund = async (paymentId, amount) => {
      refunds.push(paymentId)
      return refund(paymentId, amount)
    }
    env = await createTestEnv({ overrides: { payments } })
  })
  afterAll(() => env.close())

  async function buy(client: TestUser, paymentMethod = 'pm_card_visa') {
    const res = await env.http.inject({
      method: 'POST',
      url: `${BASE}/credits/purchases`,
      headers: { ...bearer(client), 'idempotency-key': randomUUID() },
      payload: { packageId: 'starter', paymentMethod },
    })
    return res.json().purchase as { id: string; providerPaymentId: string }
  }
  const balance = async (client: TestUser) =>
    (await env.http.inject({ method: 'GET', url: `${BASE}/credits`, headers: bearer(client) })).json()
  const audit = async (id: string) =>
    (
      await sql<{ action: string }>`select action from platform.audit_log where subject_id = ${id} order by id`.execute(
        env.platform.db.kysely,
      )
    ).rows.map((r) => r.action)

  it('takes back the credits once, however often it is asked, and the purchase reads refunded', async () => {
    const client = await aClient(env.platform)
    const purchase = await buy(client)
    expect((await balance(client)).balance).toBe(3)
    const outcomes = await Promise.all([1, 2].map(() => refundCreditPurchase(env.platform, purchase.id, { id: null, role: 'admin' })))
    expect(outcomes.filter((o) => o.refunded)).toHaveLength(1)
    expect(outcomes.find((o) => o.refunded)!.reversal).toEqual({ creditsTakenBack: 3, creditsAlreadySpent: 0 })
    expect(await refundCreditPurchase(env.platform, purchase.id)).toMatchObject({ refunded: false, purchase: { status: 'refunded' } })
    const account = await balance(client)
    expect(account.balance).toBe(0)
    expect(account.entries.map((e: { delta: number; reason: string }) => [e.delta, e.reason])).toEqual([
      [-3, 'refund'],
      [3, 'purchase'],
    ])
    const shown = await env.http.inject({ method: 'GET', url: `${BASE}/credits/purchases/${purchase.id}`, headers: bearer(client) })
    expect(shown.json().purchase.status).toBe('refunded')
    expect(await audit(purchase.id)).toEqual(['credits.purchased', 'credits.refunded'])
    // Both calls that found it paid asked the provider for the same refund; the third did not ask.
    const asked = refunds.filter((p) => p === purchase.providerPaymentId).length
    expect(asked).toBeGreaterThanOrEqual(1)
    expect(asked).toBeLessThanOrEqual(2)
    expect(new Set(outcomes.map((o) => o.refundId).filter(Boolean)).size).toBe(1)
  })

  it('keeps credits already spent, and takes back only what is left', async () => {
    const client = await aClient(env.platform)
    const purchase = await buy(client)
    await env.platform.db.kysely.transaction().execute((tx) =>
      env.platform.ledger.move(tx, {
        table: 'onedesigner.clients',
        column: 'match_credits',
        accountId: client.id,
        delta: -2,
        reason: 'unlock',
      }),
    )
    const out = await refundCreditPurchase(env.platform, purchase.id)
    expect(out.reversal).toEqual({ creditsTakenBack: 1, creditsAlreadySpent: 2 })
    expect((await balance(client)).balance).toBe(0)
  })

  it('refuses to refund a purchase that was never paid, and one that does not exist', async () => {
    const client = await aClient(env.platform)
    const declined = await env.http.inject({
      method: 'POST',
      url: `${BASE}/credits/purchases`,
      headers: { ...bearer(client), 'idempotency-key': randomUUID() },
      payload: { packageId: 'starter', paymentMethod: 'pm_card_declined' },
    })
    const failedId = declined.json().error.details.purchase.id
    await expect(refundCreditPurchase(env.platform, failedId)).rejects.toMatchObject({ code: 'conflict' })
    await expect(refundCreditPurchase(env.platform, randomUUID())).rejects.toBeInstanceOf(AppError)
    const pending = await buy(client, 'pm_card_authenticationRequired')
    await expect(refundCreditPurchase(env.platform, pending.id)).rejects.toMatchObject({ code: 'conflict' })
  })
})
