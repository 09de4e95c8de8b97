// Stripe PaymentIntents. The caller's idempotency key goes to Stripe as its Idempotency-Key, so a
// retried charge (ours or the SDK's network retry) returns the same PaymentIntent.
import { createHash } from 'node:crypto'
import Stripe from 'stripe'
import type { Config } from '../config'
import { AppError } from '../http/errors'
import type { CheckoutRequest, CheckoutResult, PaymentProvider, RefundResult } from './types'
import { parseSignedWebhook } from './payment-webhooks'

export function stripeClient(config: Config): Stripe {
  const options: ConstructorParameters<typeof Stripe>[1] = { maxNetworkRetries: 2, timeout: 20_000, telemetry: false }
  if (config.STRIPE_API_BASE) {
    const base = new URL(config.STRIPE_API_BASE)
    options.host = base.hostname
    options.protocol = base.protocol === 'http:' ? 'http' : 'https'
    if (base.port) options.port = base.port
  }
  return new Stripe(config.STRIPE_SECRET_KEY!, options)
}

/** Stripe takes keys of at most 255 characters; longer ones are hashed (still one key per request). */
function stripeKey(key: string) {
  return key.length <= 255 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`
}

export function stripePaymentProvider(config: Config, client: Stripe = stripeClient(config)): PaymentProvider {
  return {
    name: 'stripe',
    async charge(req: CheckoutRequest): Promise<CheckoutResult> {
      const params: Stripe.PaymentIntentCreateParams = {
        amount: req.amountCents,
        currency: req.currency.toLowerCase(),
        description: req.description,
        metadata: { app: req.app, accountId: req.accountId, reference: req.reference },
        // Cards confirmed server-side must not need a redirect; 3-D Secure leaves it requires_action.
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }
      if (req.paymentMethod) {
        params.payment_method = req.paymentMethod
        params.confirm = true
      }
      try {
        const intent = await client.paymentIntents.create(params, { idempotencyKey: stripeKey(req.idempotencyKey) })
        return fromIntent(intent)
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          return { provider: 'stripe', paymentId: err.payment_intent?.id, status: 'failed', failureMessage: err.message }
        }
        // A payment method that does not exist or cannot be used is the payer's problem, not an outage.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'payment_method') {
          return { provider: 'stripe', paymentId: err.payment_intent?.id, status: 'failed', failureMessage: err.message }
        }
        throw new AppError('upstream_failed', `The payment provider did not take the payment: ${(err as Error).message}`)
      }
    },
    async refund(paymentId: string, amountCents?: number): Promise<RefundResult> {
      const params: Stripe.RefundCreateParams = { payment_intent: paymentId }
      if (amountCents !== undefined) params.amount = amountCents
      try {
        // Stripe keeps the first answer per Idempotency-Key: a repeated refund is the same refund.
        const refund = await client.refunds.create(params, { idempotencyKey: stripeKey(`refund:${paymentId}:${amountCents ?? 'full'}`) })
        const status =
          refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending'
        return {
          provider: 'stripe',
          refundId: refund.id,
          paymentId,
          amountCents: refund.amount,
          status,
          failureMessage: status === 'failed' ? (refund.failure_reason ?? 'The refund failed') : undefined,
        }
      } catch (err) {
        if (err instanceof Stripe.errors.StripeInvalidRequestError) {
          if (err.code === 'resource_missing') throw new AppError('not_found', `Stripe does not know payment '${paymentId}'`, { paymentId })
          throw new AppError('conflict', `Stripe refused the refund: ${err.message}`, { paymentId, code: err.code })
        }
        throw new AppError('upstream_failed', `The payment provider did not take the refund: ${(err as Error).message}`)
      }
    },
    parseWebhook(rawBody, signature) {
      return parseSignedWebhook('stripe', config.STRIPE_WEBHOOK_SECRET, rawBody, signature)
    },
  }
}

function fromIntent(intent: Stripe.PaymentIntent): CheckoutResult {
  const base = { provider: 'stripe', paymentId: intent.id }
  switch (intent.status) {
    case 'succeeded':
      return { ...base, status: 'succeeded' }
    case 'canceled':
      return { ...base, status: 'failed', failureMessage: intent.cancellation_reason ?? 'The payment was canceled' }
    case 'requires_payment_method':
      if (intent.last_payment_error)
        return { ...base, status: 'failed', failureMessage: intent.last_payment_error.message ?? 'The payment failed' }
      return { ...base, status: 'pending', clientSecret: intent.client_secret ?? undefined }
    default:
      // requires_action, requires_confirmation, processing, requires_capture: the client or Stripe
      // finishes it and the webhook reports the outcome.
      return { ...base, status: 'pending', clientSecret: intent.client_secret ?? undefined }
  }
}
