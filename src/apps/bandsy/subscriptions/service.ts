// Subscriptions: the plan list, a musician's plan and history, buying a plan, cancelling. A
// purchase's id derives from the musician and the request's Idempotency-Key, and the same key
// goes to the payment provider: whatever retries happen (the HTTP layer replays most; a 5xx or
// an expired key lets one through), one key is one purchase row, one payment and one period.
import { createHash } from 'node:crypto'
import { withUser, type Claims } from '../../../platform/db/with-user'
import { AppError, conflict } from '../../../platform/http/errors'
import type { Platform } from '../../../platform/platform'
import { PLANS, PLAN_CURRENCY, PLAN_FEATURES, SUBSCRIPTION_PERIOD_DAYS, planOf, type PaidPlan, type Plan } from '../plans'
import * as repo from './repository'
import { APP, planRank, recordPaymentId, settleFailed, settlePaid } from './settlement'

export interface PurchaseInput {
  plan: PaidPlan
  paymentMethod?: string
  idempotencyKey: string
}

export type PurchaseOutcome =
  | { status: 'succeeded'; purchase: repo.Purchase; subscription: repo.Subscription; plan: Plan }
  | { status: 'pending'; purchase: repo.Purchase; clientSecret?: string }

/** A UUID (version 8, RFC 9562) derived from the musician and their idempotency key. */
export function purchaseIdFor(userId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${APP}:subscription-purchase:${userId}:${idempotencyKey}`).digest('hex')
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function featuresOf(plan: Plan) {
  const { maxSearchRadiusKm, superLikesPerDay, seeWhoLikedYou } = PLAN_FEATURES[plan]
  return { maxSearchRadiusKm, superLikesPerDay, seeWhoLikedYou }
}

export function listPlans() {
  return PLANS.map((plan) => ({
    plan,
    priceCents: PLAN_FEATURES[plan].priceCents,
    currency: PLAN_CURRENCY,
    periodDays: SUBSCRIPTION_PERIOD_DAYS,
    features: featuresOf(plan),
  }))
}

export function mySubscription(platform: Platform, claims: Claims, limit: number) {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const plan = await planOf(tx, claims.sub, now)
    return {
      plan,
      features: featuresOf(plan),
      subscription: (await repo.findHeld(tx, claims.sub, now)) ?? null,
      history: await repo.listSubscriptions(tx, claims.sub, limit),
      purchases: await repo.listPurchases(tx, claims.sub, limit),
    }
  })
}

export async function cancelSubscription(platform: Platform, claims: Claims) {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const cancelled = await repo.cancelActive(tx, claims.sub, now)
    if (!cancelled) throw conflict('You have no active subscription to cancel')
    const plan = await planOf(tx, claims.sub, now)
    return { subscription: cancelled, plan, features: featuresOf(plan) }
  })
}

export async function purchaseSubscription(platform: Platform, claims: Claims, input: PurchaseInput, requestId?: string): Promise<PurchaseOutcome> {
  const userId = claims.sub
  const id = purchaseIdFor(userId, input.idempotencyKey)
  const price = PLAN_FEATURES[input.plan].priceCents
  const purchase = await withUser(platform.db.kysely, claims, async (tx) => {
    const existing = await repo.findPurchase(tx, id)
    if (existing) return existing
    const now = platform.clock.now()
    // Refused before charging: a lower plan would be paid for days the higher one already covers.
    const held = await repo.findHeld(tx, userId, now)
    if (held && planRank(input.plan) < planRank(held.planType))
      throw conflict(
        `You hold the ${held.planType} plan until ${held.endDate?.toISOString() ?? 'further notice'}; a lower plan can be bought once it has ended` +
          (held.status === 'active' ? ' (cancel it so that it is not renewed)' : ''),
        { plan: held.planType, status: held.status, endDate: held.endDate },
      )
    await repo.insertPurchase(tx, { id, userId, planType: input.plan, amountCents: price, currency: PLAN_CURRENCY, provider: platform.payments.name, createdAt: now })
    return (await repo.findPurchase(tx, id))!
  })
  if (purchase.planType !== input.plan)
    throw new AppError('idempotency_key_reused', 'This Idempotency-Key already bought another plan; use a new key', {
      purchaseId: purchase.id,
      plan: purchase.planType,
    })
  // The key was used before (a retry after a 5xx or after the key expired): answer from the record.
  if (purchase.status !== 'pending') return settledOutcome(platform, claims, purchase)

  const result = await platform.payments.charge({
    app: APP,
    accountId: userId,
    reference: purchase.id,
    amountCents: purchase.amountCents,
    currency: purchase.currency,
    description: `Bandsy ${purchase.planType}: ${SUBSCRIPTION_PERIOD_DAYS} days`,
    idempotencyKey: `${APP}:subscription-purchase:${userId}:${input.idempotencyKey}`,
    paymentMethod: input.paymentMethod,
  })

  if (result.status === 'succeeded') {
    const settled = await settlePaid(platform, purchase.id, result.paymentId, { actorId: userId, requestId })
    if (settled) return { status: 'succeeded', ...settled, plan: await currentPlan(platform, claims) }
    // A webhook settled it between the charge and now: report what it did.
    return settledOutcome(platform, claims, (await reload(platform, claims, purchase.id))!)
  }
  if (result.status === 'pending') {
    const updated = result.paymentId ? await recordPaymentId(platform, purchase.id, result.paymentId) : purchase
    if (!updated) return settledOutcome(platform, claims, (await reload(platform, claims, purchase.id))!)
    return { status: 'pending', purchase: updated, clientSecret: result.clientSecret }
  }
  const failed = await settleFailed(platform, purchase.id, result.paymentId, result.failureMessage ?? 'The payment was declined')
  return settledOutcome(platform, claims, failed ?? (await reload(platform, claims, purchase.id))!)
}

function reload(platform: Platform, claims: Claims, id: string) {
  return withUser(platform.db.kysely, claims, (tx) => repo.findPurchase(tx, id))
}

function currentPlan(platform: Platform, claims: Claims) {
  return withUser(platform.db.kysely, claims, (tx) => planOf(tx, claims.sub, platform.clock.now()))
}

/** The answer for a purchase that already has its outcome: its subscription, or a 402 for a decline. */
async function settledOutcome(platform: Platform, claims: Claims, purchase: repo.Purchase): Promise<PurchaseOutcome> {
  if (purchase.status === 'pending') return { status: 'pending', purchase }
  if (purchase.status === 'failed')
    throw new AppError('payment_required', `The payment failed: ${purchase.failureMessage ?? 'declined'}`, { purchase: present(purchase) })
  if (purchase.status === 'refunded') throw conflict('This purchase was refunded', { purchase: present(purchase) })
  return withUser(platform.db.kysely, claims, async (tx) => {
    const subscription = purchase.subscriptionId ? await repo.findSubscription(tx, purchase.subscriptionId) : undefined
    if (!subscription) throw conflict('The subscription of this purchase no longer exists', { purchase: present(purchase) })
    return { status: 'succeeded', purchase, subscription, plan: await planOf(tx, claims.sub, platform.clock.now()) }
  })
}

/** A purchase as the API shows it (error details are not run through the response schema). */
export function present(p: repo.Purchase) {
  const { userId: _userId, ...shown } = p
  return shown
}
