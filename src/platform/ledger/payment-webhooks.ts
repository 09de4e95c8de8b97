// Webhooks in Stripe's format and signature scheme (HMAC-SHA256 over `${t}.${body}`, header
// `Stripe-Signature: t=...,v1=...`), verified and signed by the Stripe SDK. Both providers use them.
import Stripe from 'stripe'
import { z } from 'zod'
import { AppError } from '../http/errors'
import type { PaymentEvent } from './types'

/** Header carrying the webhook signature, for either provider. */
export const SIGNATURE_HEADER = 'stripe-signature'

/** Verifies a Stripe-format webhook with the Stripe SDK and maps it to a PaymentEvent. */
export function parseSignedWebhook(
  provider: string,
  secret: string | undefined,
  rawBody: Buffer | string,
  signature: string | undefined,
): PaymentEvent {
  if (!secret) throw new AppError('unavailable', 'Webhooks are not configured: set STRIPE_WEBHOOK_SECRET')
  if (!signature) throw new AppError('unauthorized', `Missing ${SIGNATURE_HEADER} header`)
  let event: unknown
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret)
  } catch (err) {
    throw new AppError('unauthorized', `Webhook signature rejected: ${(err as Error).message}`)
  }
  return toPaymentEvent(provider, event)
}

// A correct signature says who sent the body, not that it has the shape we read: check it.
const eventShape = z.object({ id: z.string().min(1), type: z.string().min(1), data: z.object({ object: z.unknown() }).optional() })
const intentShape = z.object({
  id: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  last_payment_error: z.object({ message: z.unknown() }).nullish(),
})
const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined)

function toPaymentEvent(provider: string, raw: unknown): PaymentEvent {
  const parsed = eventShape.safeParse(raw)
  if (!parsed.success) throw new AppError('bad_request', 'The webhook body is not an event (needs a string id and type)')
  const event = parsed.data
  const base = { provider, eventId: event.id, providerType: event.type, raw }
  if (!event.type.startsWith('payment_intent.')) return { ...base, type: 'other' }
  const found = intentShape.safeParse(event.data?.object)
  if (!found.success) throw new AppError('bad_request', `The ${event.type} event carries no payment intent (data.object with a string id)`)
  const intent = found.data
  const common = {
    ...base,
    paymentId: intent.id,
    reference: text(intent.metadata?.reference),
    app: text(intent.metadata?.app),
  }
  switch (event.type) {
    case 'payment_intent.succeeded':
      return { ...common, type: 'payment.succeeded' }
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
      return {
        ...common,
        type: 'payment.failed',
        failureMessage:
          text(intent.last_payment_error?.message) ??
          (event.type === 'payment_intent.canceled' ? 'The payment was canceled' : 'The payment failed'),
      }
    default:
      return { ...common, type: 'other' }
  }
}

export interface WebhookFixture {
  type: 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'payment_intent.canceled' | string
  paymentId: string
  app?: string
  reference?: string
  accountId?: string
  amountCents?: number
  currency?: string
  failureMessage?: string
  /** Event id; derived from the payment and type by default, as a redelivery keeps its id. */
  eventId?: string
}

/**
 * A Stripe-shaped PaymentIntent event and its signature header, as Stripe (or the local provider
 * completing a pending payment) would send them. For tests and local development.
 */
export function signedPaymentWebhook(secret: string, f: WebhookFixture, timestamp = Math.floor(Date.now() / 1000)) {
  const payload = JSON.stringify({
    id: f.eventId ?? `evt_${f.paymentId}_${f.type.split('.').pop()}`,
    object: 'event',
    type: f.type,
    created: timestamp,
    livemode: false,
    data: {
      object: {
        id: f.paymentId,
        object: 'payment_intent',
        amount: f.amountCents ?? 0,
        currency: f.currency ?? 'usd',
        status:
          f.type === 'payment_intent.succeeded'
            ? 'succeeded'
            : f.type === 'payment_intent.canceled'
              ? 'canceled'
              : 'requires_payment_method',
        last_payment_error: f.failureMessage ? { message: f.failureMessage } : null,
        metadata: { app: f.app ?? '', reference: f.reference ?? '', accountId: f.accountId ?? '' },
      },
    },
  })
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp })
  return { payload, signature }
}
