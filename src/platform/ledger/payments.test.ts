import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Stripe from 'stripe'
import { loadConfig, testConfig } from '../config'
import { AppError } from '../http/errors'
import { createPaymentProvider, LOCAL_WEBHOOK_SECRET, paymentProviderName, signedPaymentWebhook } from './payments'
import { localPaymentId } from './payments-local'
import { startStripeStub, type StripeStub } from '../../../test/support/stripe-stub'
import type { CheckoutRequest, PaymentProvider } from './types'

const checkout = (o: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
  app: 'onedesigner',
  accountId: '00000000-0000-4000-8000-000000000001',
  reference: '00000000-0000-4000-8000-0000000000aa',
  amountCents: 2900,
  currency: 'usd',
  description: 'Starter: 3 credits',
  idempotencyKey: 'key-1',
  ...o,
})

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<AppError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected a rejection')
}

describe('choosing a payment provider', () => {
  it('is local by default, Stripe with a secret key, and PAYMENTS_PROVIDER decides when set', () => {
    expect(paymentProviderName(testConfig())).toBe('local')
    expect(createPaymentProvider(testConfig()).name).toBe('local')
    expect(createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).name).toBe('stripe')
    expect(createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_x', PAYMENTS_PROVIDER: 'local' })).name).toBe('local')
    expect(() => createPaymentProvider(testConfig({ PAYMENTS_PROVIDER: 'stripe' }))).toThrow(/STRIPE_SECRET_KEY/)
    expect(() => testConfig({ PAYMENTS_PROVIDER: 'paypal' })).toThrow(/PAYMENTS_PROVIDER/)
  })

  it('refuses test payments in production unless chosen on purpose', async () => {
    const prod = {
      NODE_ENV: 'production',
      JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789',
      OTP_PEPPER: 'a-real-pepper',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    }
    const implicit = createPaymentProvider(loadConfig(prod))
    const err = await rejection(implicit.charge(checkout()))
    expect(err.code).toBe('unavailable')
    expect(err.message).toMatch(/STRIPE_SECRET_KEY/)
    const hook = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, { type: 'payment_intent.succeeded', paymentId: 'pi_x' })
    expect((await rejection(() => implicit.parseWebhook(hook.payload, hook.signature))).code).toBe('unavailable')
    const chosen = createPaymentProvider(loadConfig({ ...prod, PAYMENTS_PROVIDER: 'local' }))
    expect((await chosen.charge(checkout())).status).toBe('succeeded')
  })
})

describe('local payment provider', () => {
  const local = createPaymentProvider(testConfig())

  it('succeeds with pm_card_visa (the default) with a payment id derived from the idempotency key', async () => {
    const a = await local.charge(checkout())
    expect(a).toEqual({ provider: 'local', paymentId: localPaymentId('key-1'), status: 'succeeded' })
    expect(await local.charge(checkout({ paymentMethod: 'pm_card_visa' }))).toEqual(a)
    const b = await local.charge(checkout({ idempotencyKey: 'key-2' }))
    expect(b.paymentId).not.toBe(a.paymentId)
  })

  it('declines pm_card_declined, leaves pm_card_authenticationRequired pending and fails unknown methods', async () => {
    expect(await local.charge(checkout({ paymentMethod: 'pm_card_declined' }))).toMatchObject({
      status: 'failed',
      failureMessage: 'Your card was declined.',
    })
    const pending = await local.charge(checkout({ paymentMethod: 'pm_card_authenticationRequired' }))
    expect(pending).toMatchObject({ status: 'pending', clientSecret: expect.stringContaining('_secret_') })
    expect(await local.charge(checkout({ paymentMethod: 'pm_nope' }))).toMatchObject({
      status: 'failed',
      failureMessage: expect.stringMatching(/No such payment method/),
    })
  })

  it('verifies webhooks signed like Stripe’s with its local secret', async () => {
    const fixture = { type: 'payment_intent.succeeded', paymentId: 'pi_local_1', app: 'onedesigner', reference: 'ref-1' }
    const { payload, signature } = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, fixture)
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(local.parseWebhook(Buffer.from(payload), signature)).toMatchObject({
      provider: 'local',
      type: 'payment.succeeded',
      providerType: 'payment_intent.succeeded',
      paymentId: 'pi_local_1',
      app: 'onedesigner',
      reference: 'ref-1',
    })
    const wrong = signedPaymentWebhook('whsec_other', fixture)
    expect((await rejection(() => local.parseWebhook(wrong.payload, wrong.signature))).code).toBe('unauthorized')
    // STRIPE_WEBHOOK_SECRET, when set, signs local webhooks too.
    const custom = createPaymentProvider(testConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_custom' }))
    const signed = signedPaymentWebhook('whsec_custom', fixture)
    expect(custom.parseWebhook(signed.payload, signed.signature).type).toBe('payment.succeeded')
    expect((await rejection(() => custom.parseWebhook(payload, signature))).code).toBe('unauthorized')
  })

  it('maps failure and other events', () => {
    const failed = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
      type: 'payment_intent.payment_failed',
      paymentId: 'pi_1',
      failureMessage: 'Insufficient funds',
    })
    expect(local.parseWebhook(failed.payload, failed.signature)).toMatchObject({
      type: 'payment.failed',
      failureMessage: 'Insufficient funds',
    })
    const canceled = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, { type: 'payment_intent.canceled', paymentId: 'pi_1' })
    expect(local.parseWebhook(canceled.payload, canceled.signature)).toMatchObject({ type: 'payment.failed' })
    const other = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, { type: 'charge.refunded', paymentId: 'ch_1' })
    expect(local.parseWebhook(other.payload, other.signature).type).toBe('other')
  })
})

describe('Stripe payment provider (against a local stub of the API)', () => {
  let stub: StripeStub
  let stripe: PaymentProvider
  const secret = 'whsec_test_0123456789'
  beforeAll(async () => {
    stub = await startStripeStub()
    stripe = createPaymentProvider(
      testConfig({ STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_WEBHOOK_SECRET: secret, STRIPE_API_BASE: stub.url }),
    )
  })
  afterAll(() => stub.close())

  it('creates and confirms a PaymentIntent with the idempotency key and our metadata', async () => {
    const r = await stripe.charge(checkout({ idempotencyKey: 'stripe-ok', paymentMethod: 'pm_card_visa' }))
    expect(r).toMatchObject({ provider: 'stripe', status: 'succeeded', paymentId: expect.stringMatching(/^pi_stub_/) })
    const sent = stub.requests.at(-1)!
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      idempotencyKey: 'stripe-ok',
      authorization: 'Bearer sk_test_stub',
    })
    expect(sent.form).toMatchObject({
      amount: '2900',
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'metadata[app]': 'onedesigner',
      'metadata[reference]': checkout().reference,
      'metadata[accountId]': checkout().accountId,
    })
    // A retry with the same key is the same PaymentIntent.
    const created = stub.created
    const again = await stripe.charge(checkout({ idempotencyKey: 'stripe-ok', paymentMethod: 'pm_card_visa' }))
    expect(again.paymentId).toBe(r.paymentId)
    expect(stub.created).toBe(created)
  })

  it('reports a decline as a failed payment with Stripe’s message', async () => {
    const r = await stripe.charge(checkout({ idempotencyKey: 'stripe-declined', paymentMethod: 'pm_card_declined' }))
    expect(r).toMatchObject({ status: 'failed', failureMessage: 'Your card was declined.', paymentId: expect.stringMatching(/^pi_stub_/) })
    const missing = await stripe.charge(checkout({ idempotencyKey: 'stripe-missing', paymentMethod: 'pm_missing' }))
    expect(missing).toMatchObject({ status: 'failed', failureMessage: expect.stringMatching(/No such PaymentMethod/) })
  })

  it('leaves payments needing the customer pending, with the client secret', async () => {
    const action = await stripe.charge(checkout({ idempotencyKey: 'stripe-3ds', paymentMethod: 'pm_card_authenticationRequired' }))
    expect(action).toMatchObject({ status: 'pending', clientSecret: expect.stringContaining('_secret_') })
    const unconfirmed = await stripe.charge(checkout({ idempotencyKey: 'stripe-unconfirmed' }))
    expect(unconfirmed).toMatchObject({ status: 'pending', clientSecret: expect.stringContaining('_secret_') })
    expect(stub.requests.at(-1)!.form.confirm).toBeUndefined()
  })

  it('turns an outage into upstream_failed after the SDK’s retries, all with the same key', async () => {
    const before = stub.requests.length
    const err = await rejection(stripe.charge(checkout({ idempotencyKey: 'stripe-outage', paymentMethod: 'pm_card_outage' })))
    expect(err.code).toBe('upstream_failed')
    const tries = stub.requests.slice(before)
    expect(tries.length).toBeGreaterThanOrEqual(1)
    expect(new Set(tries.map((t) => t.idempotencyKey))).toEqual(new Set(['stripe-outage']))
  })

  it('turns an unreachable API into upstream_failed', async () => {
    const down = createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_API_BASE: 'http://127.0.0.1:9' }))
    expect((await rejection(down.charge(checkout({ paymentMethod: 'pm_card_visa' })))).code).toBe('upstream_failed')
  }, 30_000)

  describe('webhook signatures (stripe.webhooks.constructEvent)', () => {
    const event = { type: 'payment_intent.succeeded', paymentId: 'pi_123', app: 'onedesigner', reference: 'ref-9' }

    it('accepts a valid signature', () => {
      const { payload } = signedPaymentWebhook(secret, event)
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret })
      expect(stripe.parseWebhook(payload, header)).toMatchObject({
        provider: 'stripe',
        type: 'payment.succeeded',
        paymentId: 'pi_123',
        reference: 'ref-9',
      })
    })

    it('rejects a tampered body, a wrong secret, an old timestamp and a missing header', async () => {
      const { payload, signature } = signedPaymentWebhook(secret, event)
      const tampered = payload.replace('pi_123', 'pi_999')
      expect((await rejection(() => stripe.parseWebhook(tampered, signature))).code).toBe('unauthorized')
      const wrong = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' })
      expect((await rejection(() => stripe.parseWebhook(payload, wrong))).code).toBe('unauthorized')
      const old = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 600 })
      const stale = await rejection(() => stripe.parseWebhook(payload, old))
      expect(stale.code).toBe('unauthorized')
      expect(stale.message).toMatch(/tolerance/i)
      expect((await rejection(() => stripe.parseWebhook(payload, undefined))).code).toBe('unauthorized')
    })

    it('refuses every webhook while STRIPE_WEBHOOK_SECRET is unset', async () => {
      const noSecret = createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_API_BASE: stub.url }))
      const { payload, signature } = signedPaymentWebhook(secret, event)
      expect((await rejection(() => noSecret.parseWebhook(payload, signature))).code).toBe('unavailable')
    })
  })
})

// Refunds: a repeated refund is the same refund and moves no more money.
describe('local provider refunds', () => {
  const local = createPaymentProvider(testConfig())

  it('refunds a payment, and the same refund again is the same refund', async () => {
    const { paymentId } = await local.charge(checkout({ idempotencyKey: 'refund-local', paymentMethod: 'pm_card_visa' }))
    const first = await local.refund(paymentId!, 2900)
    expect(first).toMatchObject({
      provider: 'local',
      paymentId,
      amountCents: 2900,
      status: 'succeeded',
      refundId: expect.stringMatching(/^re_local_/),
    })
    expect(await local.refund(paymentId!, 2900)).toEqual(first)
    expect((await local.refund(paymentId!, 1000)).refundId).not.toBe(first.refundId)
  })

  it('refuses a payment it never made and an amount that is not a positive number of cents', async () => {
    expect((await rejection(local.refund('pi_stripe_elsewhere'))).code).toBe('not_found')
    const { paymentId } = await local.charge(checkout({ idempotencyKey: 'refund-local-bad', paymentMethod: 'pm_card_visa' }))
    expect((await rejection(local.refund(paymentId!, 0))).code).toBe('bad_request')
    expect((await rejection(local.refund(paymentId!, 1.5))).code).toBe('bad_request')
  })
})

describe('Stripe refunds (against a local stub of the API)', () => {
  let stub: StripeStub
  let stripe: PaymentProvider
  beforeAll(async () => {
    stub = await startStripeStub()
    stripe = createPaymentProvider(
      testConfig({ STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_WEBHOOK_SECRET: 'whsec_test_0123456789', STRIPE_API_BASE: stub.url }),
    )
  })
  afterAll(() => stub.close())

  it('creates a Refund for the PaymentIntent with an idempotency key, so a repeat is the same refund', async () => {
    const { paymentId } = await stripe.charge(checkout({ idempotencyKey: 'stripe-refund', paymentMethod: 'pm_card_visa' }))
    const first = await stripe.refund(paymentId!, 2900)
    expect(first).toEqual({
      provider: 'stripe',
      refundId: expect.stringMatching(/^re_stub_/),
      paymentId,
      amountCents: 2900,
      status: 'succeeded',
    })
    const sent = stub.requests.at(-1)!
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/refunds', idempotencyKey: `refund:${paymentId}:2900` })
    expect(sent.form).toMatchObject({ payment_intent: paymentId, amount: '2900' })
    const made = stub.refunds
    expect(await stripe.refund(paymentId!, 2900)).toEqual(first)
    expect(stub.refunds).toBe(made)
  })

  it('refunds in parts up to what was paid, then refuses', async () => {
    const { paymentId } = await stripe.charge(checkout({ idempotencyKey: 'stripe-partial', paymentMethod: 'pm_card_visa' }))
    expect((await stripe.refund(paymentId!, 900)).amountCents).toBe(900)
    expect((await stripe.refund(paymentId!)).amountCents).toBe(2000)
    expect((await rejection(stripe.refund(paymentId!, 100))).code).toBe('conflict')
  })

  it('says not_found for a payment Stripe does not know and conflict for one that never succeeded', async () => {
    expect((await rejection(stripe.refund('pi_missing', 100))).code).toBe('not_found')
    const pending = await stripe.charge(
      checkout({ idempotencyKey: 'stripe-refund-pending', paymentMethod: 'pm_card_authenticationRequired' }),
    )
    expect((await rejection(stripe.refund(pending.paymentId!, 100))).code).toBe('conflict')
  })
})
