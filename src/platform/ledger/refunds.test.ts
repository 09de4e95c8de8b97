// Refunds through the PaymentProvider interface: the local test provider and the Stripe SDK
// against the local stub of Stripe's API. A repeated refund is the same refund and moves no more money.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../config'
import { AppError } from '../http/errors'
import { createPaymentProvider } from './payments'
import { startStripeStub, type StripeStub } from './stripe-stub'
import type { CheckoutRequest, PaymentProvider } from './types'

const checkout = (idempotencyKey: string, paymentMethod = 'pm_card_visa'): CheckoutRequest => ({
  app: 'onedesigner',
  accountId: '00000000-0000-4000-8000-000000000001',
  reference: '00000000-0000-4000-8000-0000000000aa',
  amountCents: 2900,
  currency: 'usd',
  description: 'Starter: 3 credits',
  idempotencyKey,
  paymentMethod,
})

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('local provider refunds', () => {
  const local = createPaymentProvider(testConfig())

  it('refunds a payment, and the same refund again is the same refund', async () => {
    const { paymentId } = await local.charge(checkout('refund-local'))
    const first = await local.refund(paymentId!, 2900)
    expect(first).toMatchObject({ provider: 'local', paymentId, amountCents: 2900, status: 'succeeded', refundId: expect.stringMatching(/^re_local_/) })
    expect(await local.refund(paymentId!, 2900)).toEqual(first)
    expect((await local.refund(paymentId!, 1000)).refundId).not.toBe(first.refundId)
  })

  it('refuses a payment it never made and an amount that is not a positive number of cents', async () => {
    expect((await refusal(local.refund('pi_stripe_elsewhere'))).code).toBe('not_found')
    const { paymentId } = await local.charge(checkout('refund-local-bad'))
    expect((await refusal(local.refund(paymentId!, 0))).code).toBe('bad_request')
    expect((await refusal(local.refund(paymentId!, 1.5))).code).toBe('bad_request')
  })
})

describe('Stripe refunds (against a local stub of the API)', () => {
  let stub: StripeStub
  let stripe: PaymentProvider
  beforeAll(async () => {
    stub = await startStripeStub()
    stripe = createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_WEBHOOK_SECRET: 'whsec_test_0123456789', STRIPE_API_BASE: stub.url }))
  })
  afterAll(() => stub.close())

  it('creates a Refund for the PaymentIntent with an idempotency key, so a repeat is the same refund', async () => {
    const { paymentId } = await stripe.charge(checkout('stripe-refund'))
    const first = await stripe.refund(paymentId!, 2900)
    expect(first).toEqual({ provider: 'stripe', refundId: expect.stringMatching(/^re_stub_/), paymentId, amountCents: 2900, status: 'succeeded' })
    const sent = stub.requests.at(-1)!
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/refunds', idempotencyKey: `refund:${paymentId}:2900` })
    expect(sent.form).toMatchObject({ payment_intent: paymentId, amount: '2900' })
    const made = stub.refunds
    expect(await stripe.refund(paymentId!, 2900)).toEqual(first)
    expect(stub.refunds).toBe(made)
  })

  it('refunds in parts up to what was paid, then refuses', async () => {
    const { paymentId } = await stripe.charge(checkout('stripe-partial'))
    expect((await stripe.refund(paymentId!, 900)).amountCents).toBe(900)
    expect((await stripe.refund(paymentId!)).amountCents).toBe(2000)
    expect((await refusal(stripe.refund(paymentId!, 100))).code).toBe('conflict')
  })

  it('says not_found for a payment Stripe does not know and conflict for one that never succeeded', async () => {
    expect((await refusal(stripe.refund('pi_missing', 100))).code).toBe('not_found')
    const pending = await stripe.charge(checkout('stripe-refund-pending', 'pm_card_authenticationRequired'))
    expect((await refusal(stripe.refund(pending.paymentId!, 100))).code).toBe('conflict')
  })
})
