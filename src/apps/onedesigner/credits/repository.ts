// SQL for credit packages, purchases, balances and ledger entries. Every function takes the
// caller's transaction: under withUser, row-level security decides what the client sees; the
// webhook passes an owner-role transaction.
import type { Executor, Tx } from '../../../platform/db/database'
import { purchaseStates } from '../../../platform/ledger/purchase-states'

export interface CreditPackage {
  id: string
  name: string
  credits: number
  priceCents: number
  currency: string
}

export type PurchaseStatus = 'pending' | 'succeeded' | 'failed' | 'refunded'

export interface Purchase {
  id: string
  clientId: string
  packageId: string
  credits: number
  amountCents: number
  currency: string
  provider: string
  providerPaymentId: string | null
  status: PurchaseStatus
  failureMessage: string | null
  createdAt: Date
  completedAt: Date | null
}

export interface LedgerEntry {
  id: number
  at: Date
  delta: number
  balanceAfter: number
  reason: string
  reference: string | null
}

const PACKAGE_COLUMNS = ['id', 'name', 'credits', 'priceCents', 'currency'] as const
const PURCHASE_COLUMNS = [
  'id',
  'clientId',
  'packageId',
  'credits',
  'amountCents',
  'currency',
  'provider',
  'providerPaymentId',
  'status',
  'failureMessage',
  'createdAt',
  'completedAt',
] as const

export function listActivePackages(tx: Executor): Promise<CreditPackage[]> {
  return tx
    .selectFrom('onedesigner.creditPackages')
    .select(PACKAGE_COLUMNS)
    .where('active', '=', true)
    .orderBy('sortOrder')
    .orderBy('id')
    .execute() as Promise<CreditPackage[]>
}

export function findActivePackage(tx: Executor, id: string): Promise<CreditPackage | undefined> {
  return tx
    .selectFrom('onedesigner.creditPackages')
    .select(PACKAGE_COLUMNS)
    .where('id', '=', id)
    .where('active', '=', true)
    .executeTakeFirst() as Promise<CreditPackage | undefined>
}

export function findPurchase(tx: Executor, id: string, o: { forUpdate?: boolean } = {}): Promise<Purchase | undefined> {
  let q = tx.selectFrom('onedesigner.creditPurchases').select(PURCHASE_COLUMNS).where('id', '=', id)
  if (o.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst() as Promise<Purchase | undefined>
}

export function findPurchaseByPaymentId(tx: Executor, provider: string, paymentId: string, o: { forUpdate?: boolean } = {}): Promise<Purchase | undefined> {
  let q = tx
    .selectFrom('onedesigner.creditPurchases')
    .select(PURCHASE_COLUMNS)
    .where('provider', '=', provider)
    .where('providerPaymentId', '=', paymentId)
  if (o.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst() as Promise<Purchase | undefined>
}

/** Inserts the purchase unless its (deterministic) id exists; returns whether it was new. */
export async function insertPurchase(
  tx: Tx,
  p: Pick<Purchase, 'id' | 'clientId' | 'packageId' | 'credits' | 'amountCents' | 'currency' | 'provider' | 'createdAt'>,
): Promise<boolean> {
  const r = await tx
    .insertInto('onedesigner.creditPurchases')
    .values({ ...p, status: 'pending' })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst()
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1
}

export const { markSucceeded, markFailed, setPaymentId } = purchaseStates<Purchase>('onedesigner.creditPurchases', PURCHASE_COLUMNS)

export function listPurchases(tx: Executor, clientId: string, limit: number): Promise<Purchase[]> {
  return tx
    .selectFrom('onedesigner.creditPurchases')
    .select(PURCHASE_COLUMNS)
    .where('clientId', '=', clientId)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute() as Promise<Purchase[]>
}

export async function creditBalance(tx: Executor, clientId: string): Promise<number | undefined> {
  const row = await tx.selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', clientId).executeTakeFirst()
  return row ? (row.matchCredits ?? 0) : undefined
}

/** The client's credit ledger, newest first (platform.ledger_entries; RLS shows only their own). */
export function ledgerEntries(tx: Executor, clientId: string, limit: number): Promise<LedgerEntry[]> {
  return tx
    .selectFrom('platform.ledgerEntries')
    .select(['id', 'at', 'delta', 'balanceAfter', 'reason', 'reference'])
    .where('app', '=', 'onedesigner')
    .where('accountTable', '=', 'clients')
    .where('accountId', '=', clientId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute() as Promise<LedgerEntry[]>
}
