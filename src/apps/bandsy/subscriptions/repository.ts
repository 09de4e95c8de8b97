// SQL for subscriptions and their purchases. Every function takes the caller's transaction: under
// withUser, row-level security decides what the musician sees; settling a payment passes an
// owner-role transaction (the payment flow is the only writer of subscriptions).
import { sql } from 'kysely'
import type { Executor, Tx } from '../../../platform/db/database'
import { purchaseStates } from '../../../platform/ledger/purchase-states'
import type { PaidPlan } from '../plans'

export type PurchaseStatus = 'pending' | 'succeeded' | 'failed' | 'refunded'
export type SubscriptionStatus = 'active' | 'cancelled' | 'expired'

export interface Purchase {
  id: string
  userId: string
  planType: PaidPlan
  amountCents: number
  currency: string
  provider: string
  providerPaymentId: string | null
  status: PurchaseStatus
  failureMessage: string | null
  subscriptionId: string | null
  createdAt: Date
  completedAt: Date | null
}

export interface Subscription {
  id: string
  userId: string
  planType: PaidPlan
  status: SubscriptionStatus
  startDate: Date
  endDate: Date | null
  createdAt: Date
}

const PURCHASE_COLUMNS = [
  'id',
  'userId',
  'planType',
  'amountCents',
  'currency',
  'provider',
  'providerPaymentId',
  'status',
  'failureMessage',
  'subscriptionId',
  'createdAt',
  'completedAt',
] as const
const SUBSCRIPTION_COLUMNS = ['id', 'userId', 'planType', 'status', 'startDate', 'endDate', 'createdAt'] as const

export function findPurchase(tx: Executor, id: string, o: { forUpdate?: boolean } = {}): Promise<Purchase | undefined> {
  let q = tx.selectFrom('bandsy.subscriptionPurchases').select(PURCHASE_COLUMNS).where('id', '=', id)
  if (o.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst() as Promise<Purchase | undefined>
}

export function findPurchaseByPaymentId(tx: Executor, provider: string, paymentId: string): Promise<Purchase | undefined> {
  return tx
    .selectFrom('bandsy.subscriptionPurchases')
    .select(PURCHASE_COLUMNS)
    .where('provider', '=', provider)
    .where('providerPaymentId', '=', paymentId)
    .forUpdate()
    .executeTakeFirst() as Promise<Purchase | undefined>
}

/** Inserts the purchase unless its (deterministic) id exists. */
export async function insertPurchase(
  tx: Tx,
  p: Pick<Purchase, 'id' | 'userId' | 'planType' | 'amountCents' | 'currency' | 'provider' | 'createdAt'>,
): Promise<void> {
  await tx
    .insertInto('bandsy.subscriptionPurchases')
    .values({ ...p, status: 'pending' })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}

export const { markSucceeded, markFailed, setPaymentId } = purchaseStates<Purchase>('bandsy.subscriptionPurchases', PURCHASE_COLUMNS)

export function linkSubscription(tx: Tx, purchaseId: string, subscriptionId: string): Promise<Purchase> {
  return tx
    .updateTable('bandsy.subscriptionPurchases')
    .set({ subscriptionId })
    .where('id', '=', purchaseId)
    .returning(PURCHASE_COLUMNS)
    .executeTakeFirstOrThrow() as Promise<Purchase>
}

export function listPurchases(tx: Executor, userId: string, limit: number): Promise<Purchase[]> {
  return tx
    .selectFrom('bandsy.subscriptionPurchases')
    .select(PURCHASE_COLUMNS)
    .where('userId', '=', userId)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute() as Promise<Purchase[]>
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
    .executeTakeFirst() as Promise<Subscription | undefined>
}

export function findSubscription(tx: Executor, id: string): Promise<Subscription | undefined> {
  return tx.selectFrom('bandsy.subscriptions').select(SUBSCRIPTION_COLUMNS).where('id', '=', id).executeTakeFirst() as Promise<
    Subscription | undefined
  >
}

export function listSubscriptions(tx: Executor, userId: string, limit: number): Promise<Subscription[]> {
  return tx
    .selectFrom('bandsy.subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('userId', '=', userId)
    .orderBy('startDate', 'desc')
    .orderBy('createdAt', 'desc')
    .limit(limit)
    .execute() as Promise<Subscription[]>
}

export function insertSubscription(tx: Tx, s: Pick<Subscription, 'userId' | 'planType' | 'startDate' | 'endDate'>): Promise<Subscription> {
  return tx
    .insertInto('bandsy.subscriptions')
    .values({ ...s, status: 'active', createdAt: s.startDate })
    .returning(SUBSCRIPTION_COLUMNS)
    .executeTakeFirstOrThrow() as Promise<Subscription>
}

export function updateSubscription(tx: Tx, id: string, set: Partial<Pick<Subscription, 'status' | 'endDate'>>): Promise<Subscription> {
  return tx
    .updateTable('bandsy.subscriptions')
    .set(set)
    .where('id', '=', id)
    .returning(SUBSCRIPTION_COLUMNS)
    .executeTakeFirstOrThrow() as Promise<Subscription>
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
    .executeTakeFirst() as Promise<Subscription | undefined>
}

/** Active subscriptions whose period is over become 'expired' (the job; settlement for one user). */
export async function expireEnded(tx: Executor, at: Date, userId?: string): Promise<number> {
  let q = tx.updateTable('bandsy.subscriptions').set({ status: 'expired' }).where('status', '=', 'active').where('endDate', '<=', at)
  if (userId) q = q.where('userId', '=', userId)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows)
}
