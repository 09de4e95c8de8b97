// SQL for credit packages, balances and ledger entries (purchases are the platform flow's). Every function takes the
// caller's transaction: under withUser, row-level security decides what the client sees; the
// webhook passes an owner-role transaction.
import { type Executor, PURCHASE_ROW_COLUMNS, type PurchaseRow } from '../../../platform'

export interface CreditPackage {
  id: string
  name: string
  credits: number
  priceCents: number
  currency: string
}

/** A credit purchase: the platform flow's row plus the package it bought (src/platform/ledger/purchases.ts). */
export interface Purchase extends PurchaseRow {
  clientId: string
  packageId: string
  credits: number
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
export const PURCHASE_COLUMNS = [...PURCHASE_ROW_COLUMNS, 'clientId', 'packageId', 'credits'] as const

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
