// Buying credits through the platform purchase flow (src/platform/ledger/purchases.ts): a package
// is the product, and settling adds its credits through the ledger in the transaction that marks
// the purchase succeeded. A refund takes back the credits still unspent.
import {
  withUser,
  type Claims,
  keyUsedForOtherProduct,
  notFound,
  type Platform,
  type Tx,
  purchaseFlow,
  type Actor,
} from '../../../platform'
import * as repo from './repository'
import { APP } from '../app-name'

const BALANCE = { table: 'onedesigner.clients', column: 'match_credits' } as const

export interface PurchaseInput {
  packageId: string
  paymentMethod?: string
  idempotencyKey: string
}

const credits = purchaseFlow<{ packageId: string }, repo.Purchase, number, { balance: number }>({
  app: APP,
  kind: 'credit-purchase',
  table: 'onedesigner.creditPurchases',
  buyerColumn: 'clientId',
  columns: repo.PURCHASE_COLUMNS,
  async price(tx, _claims, input) {
    const pkg = await repo.findActivePackage(tx, input.packageId)
    if (!pkg) throw notFound('Credit package', { packageId: input.packageId })
    return { amountCents: pkg.priceCents, currency: pkg.currency, columns: { packageId: pkg.id, credits: pkg.credits } }
  },
  describe: (p) => `${p.packageId} package: ${p.credits} OneDesigner credits`,
  mismatch: (p, input) =>
    p.packageId === input.packageId ? undefined : keyUsedForOtherProduct('package', p.id, { packageId: p.packageId }),
  grant: (platform, tx, p) =>
    platform.ledger.move(tx, { ...BALANCE, accountId: p.clientId, delta: p.credits, reason: 'purchase', reference: p.id }),
  reverse: (platform, tx, p) => takeBackCredits(platform, tx, p),
  async answer(_platform, tx, claims, _p, granted) {
    return { balance: granted ?? (await repo.creditBalance(tx, claims.sub)) ?? 0 }
  },
  audit: {
    action: 'credits.purchased',
    subjectType: 'credit_purchase',
    data: (p) => ({ packageId: p.packageId, credits: p.credits }),
  },
  settledResult: 'credited',
})

/** Credits already spent stay spent: the refund takes back what is left, up to the purchase's credits. */
async function takeBackCredits(platform: Platform, tx: Tx, p: repo.Purchase) {
  const client = await tx
    .selectFrom('onedesigner.clients')
    .select('matchCredits')
    .where('id', '=', p.clientId)
    .forUpdate()
    .executeTakeFirst()
  const taken = Math.min(p.credits, client?.matchCredits ?? 0)
  if (taken > 0) await platform.ledger.move(tx, { ...BALANCE, accountId: p.clientId, delta: -taken, reason: 'refund', reference: p.id })
  return { creditsTakenBack: taken, creditsAlreadySpent: p.credits - taken }
}

export const purchaseIdFor = credits.purchaseIdFor

export function listPackages(platform: Platform, claims: Claims) {
  return withUser(platform.db.kysely, claims, (tx) => repo.listActivePackages(tx))
}

export function purchaseCredits(platform: Platform, claims: Claims, input: PurchaseInput, requestId?: string) {
  return credits.buy(platform, claims, input, requestId)
}

export function handlePaymentWebhook(platform: Platform, rawBody: Buffer, signature: string | undefined) {
  return credits.handleWebhook(platform, rawBody, signature)
}

/** Refunds a credit purchase in full (an admin's or support's action): the unspent credits go back. */
export function refundCreditPurchase(platform: Platform, purchaseId: string, actor?: Actor) {
  return credits.refund(platform, purchaseId, actor)
}

export async function creditAccount(platform: Platform, claims: Claims, limit: number) {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const balance = await repo.creditBalance(tx, claims.sub)
    if (balance === undefined) throw notFound('Client', { clientId: claims.sub })
    return { balance, entries: await repo.ledgerEntries(tx, claims.sub, limit) }
  })
}

export function listPurchases(platform: Platform, claims: Claims, limit: number) {
  return withUser(platform.db.kysely, claims, (tx) => credits.list(tx, claims.sub, limit))
}

export function getPurchase(platform: Platform, claims: Claims, id: string) {
  return credits.get(platform, claims, id)
}
