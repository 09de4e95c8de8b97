// Subscription purchases through the platform purchase flow (src/platform/ledger/purchases.ts): a
// period of a plan is the product, and settling starts or extends a subscription. Settling runs on
// the owner role (0001 grants musicians no insert on subscriptions and 0008 no update on
// purchases: nobody can grant themselves a plan), guarded by the purchase's status, so the charge
// answer and a webhook (or two webhook deliveries) grant one period.
import { type Tx, conflict, keyUsedForOtherProduct, purchaseFlow, DAY, addMs } from '../../../platform'
import { PLANS, PLAN_CURRENCY, PLAN_FEATURES, SUBSCRIPTION_PERIOD_DAYS, planOf, type PaidPlan, type Plan } from '../plans'
import * as repo from './repository'
import { APP } from '../app-name'

export const PERIOD_MS = SUBSCRIPTION_PERIOD_DAYS * DAY

export const planRank = (plan: Plan) => PLANS.indexOf(plan)

/**
 * An upgrade carries the unused value of the plan held over as time on the new plan (issue 10,
 * item 8; docs/apps/bandsy.md): the rest of its paid time, valued at its price per period in whole
 * cents (rounded down), buys time on the new plan at the new plan's price per period, in whole
 * seconds (rounded down). Integer arithmetic (BigInt), so the same upgrade gives the same end date
 * everywhere. Three periods of basic (3 × 499 = 1497 cents unused) then premium: 999 cents are
 * charged for 30 days, and 1497 cents add 44 days 22:55:08.
 */
export function carryOver(held: Pick<repo.Subscription, 'planType' | 'endDate'>, to: PaidPlan, now: Date) {
  const remainingMs = held.endDate === null ? 0 : Math.max(0, held.endDate.getTime() - now.getTime())
  const period = BigInt(PERIOD_MS)
  const carriedCents = Number((BigInt(remainingMs) * BigInt(PLAN_FEATURES[held.planType].priceCents)) / period)
  const extraSeconds = Number((BigInt(carriedCents) * period) / BigInt(PLAN_FEATURES[to].priceCents) / 1000n)
  return { remainingMs, carriedCents, extraMs: extraSeconds * 1000 }
}

/**
 * What one paid period does, as of `now`:
 * - nothing held: a subscription from now for one period;
 * - the plan held (active or cancelled): its end_date moves one period later and it is active
 *   again (buying again undoes a cancellation);
 * - a higher plan: the held one ends now (cancelled) and the new one starts now, one period long
 *   plus the unused value of the held one converted into time on the new plan (carryOver);
 * - a lower plan is refused before charging (409); one paid anyway, when a pending payment
 *   completes after an upgrade, lengthens the higher plan held by the period paid for, so no
 *   paid day is lost.
 */
export async function grantPeriod(tx: Tx, purchase: repo.Purchase, now: Date): Promise<repo.Subscription> {
  await repo.lockUserSubscriptions(tx, purchase.userId)
  // The expiry job may not have run yet; an ended active row would block the one-active index.
  await repo.expireEnded(tx, now, purchase.userId)
  const held = await repo.findHeld(tx, purchase.userId, now)
  const fresh = () =>
    repo.insertSubscription(tx, { userId: purchase.userId, planType: purchase.planType, startDate: now, endDate: addMs(now, PERIOD_MS) })
  if (!held) return fresh()
  if (planRank(purchase.planType) > planRank(held.planType)) {
    // A period must be non-empty (0001's check), also for a plan replaced in the instant it began.
    const end = new Date(Math.max(now.getTime(), held.startDate.getTime() + 1))
    const { extraMs } = carryOver(held, purchase.planType, now)
    await repo.updateSubscription(tx, held.id, { status: 'cancelled', endDate: end })
    return repo.insertSubscription(tx, {
      userId: purchase.userId,
      planType: purchase.planType,
      startDate: now,
      endDate: addMs(now, PERIOD_MS + extraMs),
    })
  }
  const extended = held.endDate === null ? null : addMs(held.endDate, PERIOD_MS)
  const status = held.planType === purchase.planType ? 'active' : held.status
  return repo.updateSubscription(tx, held.id, { status, endDate: extended })
}

/**
 * A refunded period comes off the subscription it started or extended: its end moves one period
 * earlier, and a subscription left with no time is expired as of now (expired: no plan, even
 * for the instant a period must last by 0001's check). A plan that an upgrade
 * replaced is not restored (the refund pays it back instead).
 */
export async function takeBackPeriod(tx: Tx, purchase: repo.Purchase, now: Date) {
  if (!purchase.subscriptionId) return { subscriptionId: null }
  await repo.lockUserSubscriptions(tx, purchase.userId)
  const sub = await repo.findSubscription(tx, purchase.subscriptionId)
  if (!sub || sub.endDate === null || sub.status === 'expired' || sub.endDate <= now)
    return { subscriptionId: purchase.subscriptionId, changed: false }
  const shortened = addMs(sub.endDate, -PERIOD_MS)
  const ended = shortened <= now
  const endDate = ended ? new Date(Math.max(now.getTime(), sub.startDate.getTime() + 1)) : shortened
  const updated = await repo.updateSubscription(tx, sub.id, { status: ended ? 'expired' : sub.status, endDate })
  return { subscriptionId: sub.id, changed: true, status: updated.status, endDate: updated.endDate }
}

export const subscriptionPurchases = purchaseFlow<
  { plan: PaidPlan },
  repo.Purchase,
  repo.Subscription,
  { subscription: repo.Subscription; plan: Plan }
>({
  app: APP,
  kind: 'subscription-purchase',
  table: 'bandsy.subscriptionPurchases',
  buyerColumn: 'userId',
  columns: repo.PURCHASE_COLUMNS,
  async price(tx, claims, input, now) {
    // Refused before charging: a lower plan would be paid for days the higher one already covers.
    const held = await repo.findHeld(tx, claims.sub, now)
    if (held && planRank(input.plan) < planRank(held.planType))
      throw conflict(
        `You hold the ${held.planType} plan until ${held.endDate?.toISOString() ?? 'further notice'}; a lower plan can be bought once it has ended` +
          (held.status === 'active' ? ' (cancel it so that it is not renewed)' : ''),
        { plan: held.planType, status: held.status, endDate: held.endDate },
      )
    return { amountCents: PLAN_FEATURES[input.plan].priceCents, currency: PLAN_CURRENCY, columns: { planType: input.plan } }
  },
  describe: (p) => `Bandsy ${p.planType}: ${SUBSCRIPTION_PERIOD_DAYS} days`,
  mismatch: (p, input) => (p.planType === input.plan ? undefined : keyUsedForOtherProduct('plan', p.id, { plan: p.planType })),
  async grant(_platform, tx, p, now) {
    const subscription = await grantPeriod(tx, p, now)
    await repo.linkSubscription(tx, p.id, subscription.id)
    return subscription
  },
  reverse: (_platform, tx, p, now) => takeBackPeriod(tx, p, now),
  async answer(platform, tx, claims, p, granted) {
    const subscription = granted ?? (p.subscriptionId ? await repo.findSubscription(tx, p.subscriptionId) : undefined)
    if (!subscription) throw conflict('The subscription of this purchase no longer exists', { purchase: subscriptionPurchases.present(p) })
    return { subscription, plan: await planOf(tx, claims.sub, platform.clock.now()) }
  },
  audit: {
    action: 'subscription.purchased',
    subjectType: 'subscription_purchase',
    data: (p, subscription) => ({ plan: p.planType, subscriptionId: subscription.id }),
  },
  settledResult: 'subscribed',
})
