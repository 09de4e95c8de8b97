// SQL for subscriptions (purchases are the platform flow's, but for their link to a subscription).
// Every function takes the caller's transaction: under withUser, row-level security decides what the musician sees; settling a payment passes an
// owner-role transaction (the payment flow is the only writer of subscriptions).
import { type Selectable, sql } from 'kysely'
import {
  type BandsySubscriptionPurchases,
  type BandsySubscriptions,
  type Executor,
  type Tx,
  PURCHASE_ROW_COLUMNS,
  type PurchaseRow,
} from '../../../platform'
import type { PaidPlan } from '../plans'

export type SubscriptionStatus = 'active' | 'cancelled' | 'expired'

/** A subscription purchase: the platform flow's row plus the plan it bought and the subscription it started or extended. */
export type Purchase = PurchaseRow &
  Pick<Selectable<BandsySubscriptionPurchases>, 'userId' | 'subscriptionId'> & {
    // text under a check constraint, which the generated types cannot name
    planType: PaidPlan
  }

export const PURCHASE_COLUMNS = [...PURCHASE_ROW_COLUMNS, 'userId', 'planType', 'subscriptionId'] as const
const SUBSCRIPTION_COLUMNS = ['id', 'userId', 'planType', 'status', 'startDate', 'endDate', 'createdAt'] as const
// plan_type and status are text under check constraints, which the generated types cannot name.
type Narrowed = { planType: PaidPlan; status: SubscriptionStatus }
export type Subscription = Omit<Pick<Selectable<BandsySubscriptions>, (typeof SUBSCRIPTION_COLUMNS)[number]>, keyof Narrowed> & Narrowed

export function linkSubscription(tx: Tx, purchaseId: string, subscriptionId: string): Promise<Purchase> {
  return tx
    .updateTable('bandsy.subscriptionPurchases')
    .set({ subscriptionId })
    .where('id', '=', purchaseId)
    .returning(PURCHASE_COLUMNS)
    .executeTakeFirstOrThrow() as Promise<Purchase>
}

/** Serialises the settlements of one user's purchases, so two cannot both start a subscription. */
export async function lockUserSubscriptions(tx: Tx, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'bandsy.subscriptions:' + userId}, 0))`.execute(tx)
}

/** The subscription giving the user their plan at `at` (the rule of bandsy.plan_of, 0008). */
export function findHeld(tx: Executor, userId: string, at: Date): Promise<Subscription | undefined> {
  return tx
    .selectFrom('bandsy.subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('userId', '=', userId)
    .where('startDate', '<=', at)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'active'), eb.or([eb('endDate', 'is', null), eb('endDate', '>', at)])]),
        eb.and([eb('status', '=', 'cancelled'), eb('endDate', '>', at)]),
      ]),
    )
    .orderBy(sql`bandsy.plan_rank(plan_type)`, 'desc')
    .orderBy('startDate', 'desc')
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

export function findSubscription(tx: Executor, id: string): Promise<Subscription | undefined> {
  return tx.selectFrom('bandsy.subscriptions').select(SUBSCRIPTION_COLUMNS).where('id', '=', id).$narrowType<Narrowed>().executeTakeFirst()
}

export function listSubscriptions(tx: Executor, userId: string, limit: number): Promise<Subscription[]> {
  return tx
    .selectFrom('bandsy.subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('userId', '=', userId)
    .orderBy('startDate', 'desc')
    .orderBy('createdAt', 'desc')
    .limit(limit)
    .$narrowType<Narrowed>()
    .execute()
}

export function insertSubscription(tx: Tx, s: Pick<Subscription, 'userId' | 'planType' | 'startDate' | 'endDate'>): Promise<Subscription> {
  return tx
    .insertInto('bandsy.subscriptions')
    .values({ ...s, status: 'active', createdAt: s.startDate })
    .returning(SUBSCRIPTION_COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirstOrThrow()
}

export function updateSubscription(tx: Tx, id: string, set: Partial<Pick<Subscription, 'status' | 'endDate'>>): Promise<Subscription> {
  return tx
    .updateTable('bandsy.subscriptions')
    .set(set)
    .where('id', '=', id)
    .returning(SUBSCRIPTION_COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirstOrThrow()
}

/** Under withUser: active -> cancelled, as the subscriptions_own_cancel policy allows. */
export function cancelActive(tx: Tx, userId: string, at: Date): Promise<Subscription | undefined> {
  return tx
    .updateTable('bandsy.subscriptions')
    .set({ status: 'cancelled' })
    .where('userId', '=', userId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('endDate', 'is', null), eb('endDate', '>', at)]))
    .returning(SUBSCRIPTION_COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

/** Active subscriptions whose period is over become 'expired' (the job; settlement for one user). */
export async function expireEnded(tx: Executor, at: Date, userId?: string): Promise<number> {
  let q = tx.updateTable('bandsy.subscriptions').set({ status: 'expired' }).where('status', '=', 'active').where('endDate', '<=', at)
  if (userId) q = q.where('userId', '=', userId)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows)
}
