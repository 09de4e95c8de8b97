// SQL for credit packages, balances and ledger entries (purchases are the platform flow's). Every function takes the
// caller's transaction: under withUser, row-level security decides what the client sees; the
// webhook passes an owner-role transaction.
import type { Selectable } from 'kysely'
import {
  type Executor,
  type OnedesignerCreditPackages,
  type OnedesignerCreditPurchases,
  PURCHASE_ROW_COLUMNS,
  type PurchaseRow,
} from '../../../platform'
import { APP } from '../app-name'

const PACKAGE_COLUMNS = ['id', 'name', 'credits', 'priceCents', 'currency'] as const
const OWN_PURCHASE_COLUMNS = ['clientId', 'packageId', 'credits'] as const
export const PURCHASE_COLUMNS = [...PURCHASE_ROW_COLUMNS, ...OWN_PURCHASE_COLUMNS] as const

export type CreditPackage = Pick<Selectable<OnedesignerCreditPackages>, (typeof PACKAGE_COLUMNS)[number]>
/** A credit purchase: the platform flow's row plus the package it bought (src/platform/ledger/purchases.ts). */
export type Purchase = PurchaseRow & Pick<Selectable<OnedesignerCreditPurchases>, (typeof OWN_PURCHASE_COLUMNS)[number]>
export type LedgerEntry = Awaited<ReturnType<typeof ledgerEntries>>[number]

export function listActivePackages(tx: Executor): Promise<CreditPackage[]> {
  return tx
    .selectFrom('onedesigner.creditPackages')
    .select(PACKAGE_COLUMNS)
    .where('active', '=', true)
    .orderBy('sortOrder')
    .orderBy('id')
    .execute()
}

export function findActivePackage(tx: Executor, id: string): Promise<CreditPackage | undefined> {
  return tx
    .selectFrom('onedesigner.creditPackages')
    .select(PACKAGE_COLUMNS)
    .where('id', '=', id)
    .where('active', '=', true)
    .executeTakeFirst()
}

export async function creditBalance(tx: Executor, clientId: string): Promise<number | undefined> {
  const row = await tx.selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', clientId).executeTakeFirst()
  return row?.matchCredits
}

/** The client's credit ledger, newest first (platform.ledger_entries; RLS shows only their own). */
export function ledgerEntries(tx: Executor, clientId: string, limit: number) {
  return tx
    .selectFrom('platform.ledgerEntries')
    .select(['id', 'at', 'delta', 'balanceAfter', 'reason', 'reference'])
    .where('app', '=', APP)
    .where('accountTable', '=', 'clients')
    .where('accountId', '=', clientId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
