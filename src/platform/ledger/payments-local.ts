// The local test provider: no network, no money. Payment ids derive from the idempotency key, so
// a retry is the same payment, as with Stripe. Test cards follow Stripe's names.
import { createHash } from 'node:crypto'
import { AppError } from '../http/errors'
import type { CheckoutRequest, CheckoutResult, PaymentProvider, RefundResult } from './types'
import { parseSignedWebhook } from './payment-webhooks'

export const LOCAL_CARDS = {
  /** Succeeds at once. */
  visa: 'pm_card_visa',
  /** Declined by the "issuer". */
  declined: 'pm_card_declined',
  /** Needs the customer to confirm (3-D Secure): pending until a webhook completes it. */
  authenticationRequired: 'pm_card_authenticationRequired',
} as const

export interface LocalProviderOptions {
  webhookSecret: string
  /** Refuse every charge and webhook (the provider was not chosen on purpose in production). */
  refuseCharges?: boolean
}

export interface LocalPaymentProvider extends PaymentProvider {
  readonly webhookSecret: string
}

export function localPaymentId(idempotencyKey: string): string {
  return `pi_local_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`
}

export function localPaymentProvider(opts: LocalProviderOptions): LocalPaymentProvider {
  return {
    name: 'local',
    webhookSecret: opts.webhookSecret,
    async charge(req: CheckoutRequest): Promise<CheckoutResult> {
      if (opts.refuseCharges)
        throw new AppError(
          'unavailable',
          'Payments are not configured: set STRIPE_SECRET_KEY (or PAYMENTS_PROVIDER=local for test payments)',
        )
      if (!Number.isInteger(req.amountCents) || req.amountCents <= 0)
        throw new Error('local payments: amountCents must be a positive integer')
      const paymentId = localPaymentId(req.idempotencyKey)
      switch (req.paymentMethod ?? LOCAL_CARDS.visa) {
        case LOCAL_CARDS.visa:
          return { provider: 'local', paymentId, status: 'succeeded' }
        case LOCAL_CARDS.declined:
          return { provider: 'local', paymentId, status: 'failed', failureMessage: 'Your card was declined.' }
        case LOCAL_CARDS.authenticationRequired:
          return { provider: 'local', paymentId, status: 'pending', clientSecret: `${paymentId}_secret_local` }
        default:
          return { provider: 'local', status: 'failed', failureMessage: `No such payment method: '${req.paymentMethod}'` }
      }
    },
    async refund(paymentId: string, amountCents?: number): Promise<RefundResult> {
      if (opts.refuseCharges) throw new AppError('unavailable', 'Payments are not configured')
      if (!paymentId.startsWith('pi_local_')) throw new AppError('not_found', `No such local payment: '${paymentId}'`, { paymentId })
      if (amountCents !== undefined && (!Number.isInteger(amountCents) || amountCents <= 0))
        throw new AppError('bad_request', 'A refund amount must be a positive number of cents', { amountCents })
      // Like the payment id, the refund id derives from what identifies the refund: asking again is the same refund.
      const refundId = `re_local_${createHash('sha256')
        .update(`${paymentId}:${amountCents ?? 'full'}`)
        .digest('hex')
        .slice(0, 24)}`
      return { provider: 'local', refundId, paymentId, amountCents, status: 'succeeded' }
    },
    parseWebhook(rawBody, signature) {
      // Its secret may be the public default: with charges refused, no webhook is trusted either.
      if (opts.refuseCharges) throw new AppError('unavailable', 'Payments are not configured')
      return parseSignedWebhook('local', opts.webhookSecret, rawBody, signature)
    },
  }
}
