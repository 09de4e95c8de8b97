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
  /** Our own reference, e.g. the purchase row id. */
  reference: string
  amountCents: number
  currency: string
  description: string
  /** Provider-side idempotency (Stripe's Idempotency-Key). */
  idempotencyKey: string
  /** Provider payment method token; the local provider accepts 'pm_card_visa' and refuses 'pm_card_declined'. */
  paymentMethod?: string
}

export interface CheckoutResult {
  provider: string
  paymentId: string
  status: 'succeeded' | 'pending' | 'failed'
  /** For providers that need the client to confirm (Stripe PaymentIntent). */
  clientSecret?: string
  failureMessage?: string
}

export interface PaymentEvent {
  provider: string
  type: 'payment.succeeded' | 'payment.failed' | 'other'
  paymentId: string
  reference?: string
  app?: string
  raw: unknown
}

export interface PaymentProvider {
  readonly name: string
  charge(req: CheckoutRequest): Promise<CheckoutResult>
  /** Verifies the signature and parses a webhook; throws AppError('unauthorized') if forged. */
  parseWebhook(rawBody: Buffer | string, signature: string | undefined): PaymentEvent
}
