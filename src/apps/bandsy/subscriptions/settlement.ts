// Settling subscription payments: the plan state machine. This is the payment flow, so it runs on
// the owner role (0001 grants musicians no insert on subscriptions and 0008 no update on
// purchases: nobody can grant themselves a plan). A succeeded payment marks its purchase
// succeeded and starts or extends the subscription in ONE transaction, guarded by the purchase's
// status, so the charge answer and a webhook (or two webhook deliveries) grant one period.
import type { Tx } from '../../../platform/db/database'
import type { Platform } from '../../../platform/platform'
import { DAY, addMs } from '../../../platform/clock'
import { PLANS, SUBSCRIPTION_PERIOD_DAYS, type Plan } from '../plans'
import * as repo from './repository'

export const APP = 'bandsy'
export const PERIOD_MS = SUBSCRIPTION_PERIOD_DAYS * DAY

export const planRank = (plan: Plan) => PLANS.indexOf(plan)

export interface Settled {
  purchase: repo.Purchase
  subscription: repo.Subscription
}

/**
 * What one paid period does, as of `now`:
 * - nothing held: a subscription from now for one period;
 * - the plan held (active or cancelled): its end_date moves one period later and it is active
 *   again (buying again undoes a cancellation);
 * - a higher plan: the held one ends now (cancelled) and the new one starts now;
 * - a lower plan is refused before charging (409); one paid anyway, when a pending payment
 *   completes after an upgrade, lengthens the higher plan held by the period paid for, so no
 *   paid day is lost.
 */
export async function grantPeriod(tx: Tx, purchase: repo.Purchase, now: Date): Promise<repo.Subscription> {
  await repo.lockUserSubscriptions(tx, purchase.userId)
  // The expiry job may not have run yet; an ended active row would block the one-active index.
  await repo.expireEnded(tx, now, purchase.userId)
  const held = await repo.findHeld(tx, purchase.userId, now)
  const fresh = () => repo.insertSubscription(tx, { userId: purchase.userId, planType: purchase.planType, startDate: now, endDate: addMs(now, PERIOD_MS) })
  if (!held) return fresh()
  if (planRank(purchase.planType) > planRank(held.planType)) {
    // A period must be non-empty (0001's check), also for a plan replaced in the instant it began.
    const end = new Date(Math.max(now.getTime(), held.startDate.getTime() + 1))
    await repo.updateSubscription(tx, held.id, { status: 'cancelled', endDate: end })
    return fresh()
  }
  const extended = held.endDate === null ? null : addMs(held.endDate, PERIOD_MS)
  const status = held.planType === purchase.planType ? 'active' : held.status
  return repo.updateSubscription(tx, held.id, { status, endDate: extended })
}

/** pending (or failed) -> succeeded plus its period; undefined when it was settled already. */
export function settlePaid(platform: Platform, purchaseId: string, paymentId: string | undefined, audit: { actorId: string | null; requestId?: string; eventId?: string }) {
  return platform.db.kysely.transaction().execute(async (tx) => {
    const now = platform.clock.now()
    const done = await repo.markSucceeded(tx, purchaseId, paymentId, now)
    if (!done) return undefined
    const subscription = await grantPeriod(tx, done, now)
    const purchase = await repo.linkSubscription(tx, done.id, subscription.id)
    await platform.audit.record(tx, {
      app: APP,
      actorId: audit.actorId,
      actorRole: audit.actorId ? 'musician' : 'system',
      action: 'subscription.purchased',
      subjectType: 'subscription_purchase',
      subjectId: purchase.id,
      data: { plan: purchase.planType, amountCents: purchase.amountCents, provider: purchase.provider, paymentId, subscriptionId: subscription.id, eventId: audit.eventId },
      requestId: audit.requestId,
    })
    return { purchase, subscription } satisfies Settled
  })
}

export function settleFailed(platform: Platform, purchaseId: string, paymentId: string | undefined, message: string) {
  return platform.db.kysely.transaction().execute((tx) => repo.markFailed(tx, purchaseId, paymentId, message, platform.clock.now()))
}

export function recordPaymentId(platform: Platform, purchaseId: string, paymentId: string) {
  return platform.db.kysely.transaction().execute((tx) => repo.setPaymentId(tx, purchaseId, paymentId))
}

export interface WebhookOutcome {
  received: true
  /** What the event did: 'subscribed', 'failed', or why it changed nothing. */
  result: 'subscribed' | 'failed' | 'already_settled' | 'ignored' | 'unknown_payment'
  purchaseId?: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Applies a verified payment webhook (no user is signed in). A repeated or concurrent delivery
 * finds the purchase no longer pending and changes nothing.
 */
export async function handlePaymentWebhook(platform: Platform, rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
  const event = platform.payments.parseWebhook(rawBody, signature)
  if (event.type === 'other' || event.app !== APP || !event.paymentId) return { received: true, result: 'ignored' }
  const paymentId = event.paymentId
  const purchase = await platform.db.kysely.transaction().execute(async (tx) => {
    const byPayment = await repo.findPurchaseByPaymentId(tx, event.provider, paymentId)
    if (byPayment) return byPayment
    // The webhook may beat the charge's answer: then only our reference names the purchase.
    if (!event.reference || !UUID.test(event.reference)) return undefined
    const byRef = await repo.findPurchase(tx, event.reference)
    return byRef && byRef.provider === event.provider && byRef.providerPaymentId === null ? byRef : undefined
  })
  if (!purchase) {
    platform.log.warn({ eventId: event.eventId, paymentId }, 'bandsy payment webhook for an unknown purchase')
    return { received: true, result: 'unknown_payment' }
  }
  if (event.type === 'payment.succeeded') {
    const done = await settlePaid(platform, purchase.id, paymentId, { actorId: null, eventId: event.eventId })
    return { received: true, result: done ? 'subscribed' : 'already_settled', purchaseId: purchase.id }
  }
  const failed = await settleFailed(platform, purchase.id, paymentId, event.failureMessage ?? 'The payment failed')
  return { received: true, result: failed ? 'failed' : 'already_settled', purchaseId: purchase.id }
}
