// Subscriptions: the plan list, a musician's plan and history, buying a plan (the platform
// purchase flow, with the product defined in settlement.ts), cancelling, refunds.
import { withUser, type Claims, conflict, type Platform, type Actor } from '../../../platform'
import { PLANS, PLAN_CURRENCY, PLAN_FEATURES, SUBSCRIPTION_PERIOD_DAYS, planOf, type PaidPlan, type Plan } from '../plans'
import * as repo from './repository'
import { subscriptionPurchases } from './settlement'

export interface PurchaseInput {
  plan: PaidPlan
  paymentMethod?: string
  idempotencyKey: string
}

export const purchaseIdFor = subscriptionPurchases.purchaseIdFor

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
      purchases: await subscriptionPurchases.list(tx, claims.sub, limit),
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

export function purchaseSubscription(platform: Platform, claims: Claims, input: PurchaseInput, requestId?: string) {
  return subscriptionPurchases.buy(platform, claims, input, requestId)
}

export function handlePaymentWebhook(platform: Platform, rawBody: Buffer, signature: string | undefined) {
  return subscriptionPurchases.handleWebhook(platform, rawBody, signature)
}

/** Refunds a subscription purchase in full (an admin's or support's action): its period comes off the subscription. */
export function refundSubscriptionPurchase(platform: Platform, purchaseId: string, actor?: Actor) {
  return subscriptionPurchases.refund(platform, purchaseId, actor)
}
