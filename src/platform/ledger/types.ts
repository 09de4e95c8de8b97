import type { Tx } from '../db/database'

export interface BalanceMove {
  /** Schema-qualified table holding the balance column, e.g. 'onedesigner.clients'. */
  table: string
  /** The balance column (snake_case), e.g. 'match_credits'; it must carry platform.track_balance. */
  column: string
  accountId: string
  /** Positive to add, negative to spend. */
  delta: number
  /** Why the balance moves: 'purchase', 'unlock', 'grant', 'refund', 'seed'. */
  reason: string
  /** What it moved for, e.g. 'designer:<uuid>' or a payment id. */
  reference?: string
}

export interface Ledger {
  /** Moves a balance in tx; throws AppError('insufficient_credits') if it would go below 0. */
  move(tx: Tx, move: BalanceMove): Promise<number>
}

export interface CheckoutRequest {
  app: string
  accountId: string
  /** Our own reference, e.g. the purchase row id; travels in the provider's metadata and webhooks. */
  reference: string
  amountCents: number
  currency: string
  description: string
  /** Provider-side idempotency (Stripe's Idempotency-Key): a retry with the same key is the same payment. */
  idempotencyKey: string
  /**
   * Provider payment method token. The local provider accepts 'pm_card_visa' (the default),
   * refuses 'pm_card_declined' and leaves 'pm_card_authenticationRequired' pending. Stripe without
   * one creates an unconfirmed PaymentIntent for the client to confirm (pending + clientSecret).
   */
  paymentMethod?: string
}

export interface CheckoutResult {
  provider: string
  /** Absent only when a payment failed before the provider created one. */
  paymentId?: string
  status: 'succeeded' | 'pending' | 'failed'
  /** For payments the client must confirm (Stripe PaymentIntent client secret). */
  clientSecret?: string
  failureMessage?: string
}

export interface PaymentEvent {
  provider: string
  /** The provider's event id (evt_...). */
  eventId: string
  type: 'payment.succeeded' | 'payment.failed' | 'other'
  /** The provider's event type, e.g. 'payment_intent.succeeded'. */
  providerType: string
  paymentId?: string
  /** CheckoutRequest.reference and .app, echoed from the payment's metadata. */
  reference?: string
  app?: string
  failureMessage?: string
  raw: unknown
}

export interface RefundResult {
  provider: string
  /** The provider's refund id (re_...); the same for a repeated refund of the same payment and amount. */
  refundId: string
  paymentId: string
  /** What was refunded; absent when the provider refunded the whole payment without saying how much. */
  amountCents?: number
  status: 'succeeded' | 'pending' | 'failed'
  failureMessage?: string
}

export interface PaymentProvider {
  readonly name: string
  /**
   * Charges once per idempotencyKey. A decline is a result (status 'failed'), not an error; a
   * provider that cannot be reached throws AppError('upstream_failed').
   */
  charge(req: CheckoutRequest): Promise<CheckoutResult>
  /**
   * Refunds a payment, all of it unless amountCents says less. Idempotent: refunding the same
   * payment and amount again returns the same refund and moves no more money. A provider that
   * cannot be reached throws AppError('upstream_failed'); a payment it does not know, AppError('not_found').
   */
  refund(paymentId: string, amountCents?: number): Promise<RefundResult>
  /** Verifies the signature and parses a webhook; throws AppError('unauthorized') if forged. */
  parseWebhook(rawBody: Buffer | string, signature: string | undefined): PaymentEvent
}
