// Buying credits. A purchase's id derives from the client and the request's Idempotency-Key, and
// the same key goes to the payment provider: whatever retries happen (the HTTP layer replays
// most; a 5xx or an expired key lets one through), one key is one purchase row, one payment and
// at most one credit movement. The credit lands in the same transaction that marks the purchase
// succeeded, guarded by `status = 'pending'`, so the charge answer and the webhook cannot both
// credit it.
import { createHash } from 'node:crypto'
import { withUser, type Claims } from '../../../platform/db/with-user'
import { AppError, notFound } from '../../../platform/http/errors'
import type { Platform } from '../../../platform/platform'
import type { Tx } from '../../../platform/db/database'
import * as repo from './repository'

const APP = 'onedesigner'
const BALANCE = { table: 'onedesigner.clients', column: 'match_credits' } as const

export interface PurchaseInput {
  packageId: string
  paymentMethod?: string
  idempotencyKey: string
}

export type PurchaseOutcome =
  | { status: 'succeeded'; purchase: repo.Purchase; balance: number }
  | { status: 'pending'; purchase: repo.Purchase; clientSecret?: string }

/** A UUID (version 8, RFC 9562) derived from the client and their idempotency key. */
export function purchaseIdFor(clientId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${APP}:credit-purchase:${clientId}:${idempotencyKey}`).digest('hex')
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function listPackages(platform: Platform, claims: Claims) {
  return withUser(platform.db.kysely, claims, (tx) => repo.listActivePackages(tx))
}

export async function purchaseCredits(platform: Platform, claims: Claims, input: PurchaseInput, requestId?: string): Promise<PurchaseOutcome> {
  const clientId = claims.sub
  const id = purchaseIdFor(clientId, input.idempotencyKey)
  const { pkg, purchase } = await withUser(platform.db.kysely, claims, async (tx) => {
    const pkg = await repo.findActivePackage(tx, input.packageId)
    if (!pkg) throw notFound('Credit package', { packageId: input.packageId })
    await repo.insertPurchase(tx, {
      id,
      clientId,
      packageId: pkg.id,
      credits: pkg.credits,
      amountCents: pkg.priceCents,
      currency: pkg.currency,
      provider: platform.payments.name,
      createdAt: platform.clock.now(),
    })
    const purchase = await repo.findPurchase(tx, id)
    if (!purchase) throw notFound('Client', { clientId })
    return { pkg, purchase }
  })
  if (purchase.packageId !== pkg.id)
    throw new AppError('idempotency_key_reused', 'This Idempotency-Key already bought another package; use a new key', {
      purchaseId: purchase.id,
      packageId: purchase.packageId,
    })
  // The key was used before (a retry after a 5xx or after the key expired): answer from the record.
  if (purchase.status !== 'pending') return settledOutcome(platform, claims, purchase)

  const result = await platform.payments.charge({
    app: APP,
    accountId: clientId,
    reference: purchase.id,
    amountCents: purchase.amountCents,
    currency: purchase.currency,
    description: `${pkg.name}: ${pkg.credits} OneDesigner credits`,
    idempotencyKey: `${APP}:credit-purchase:${clientId}:${input.idempotencyKey}`,
    paymentMethod: input.paymentMethod,
  })
  const now = platform.clock.now()

  if (result.status === 'succeeded') {
    const settled = await withUser(platform.db.kysely, claims, async (tx) => {
      const done = await repo.markSucceeded(tx, purchase.id, result.paymentId, now)
      if (!done) return undefined
      const balance = await creditPurchase(platform, tx, done)
      await platform.audit.record(tx, {
        app: APP,
        actorId: clientId,
        actorRole: claims.role,
        action: 'credits.purchased',
        subjectType: 'credit_purchase',
        subjectId: done.id,
        data: { packageId: done.packageId, credits: done.credits, amountCents: done.amountCents, provider: done.provider, paymentId: result.paymentId },
        requestId,
      })
      return { status: 'succeeded' as const, purchase: done, balance }
    })
    // A webhook settled it between the charge and now: report what it did.
    return settled ?? settledOutcome(platform, claims, (await reload(platform, claims, purchase.id))!)
  }

  if (result.status === 'pending') {
    const updated = result.paymentId
      ? await withUser(platform.db.kysely, claims, (tx) => repo.setPaymentId(tx, purchase.id, result.paymentId!))
      : purchase
    if (!updated) return settledOutcome(platform, claims, (await reload(platform, claims, purchase.id))!)
    return { status: 'pending', purchase: updated, clientSecret: result.clientSecret }
  }

  const message = result.failureMessage ?? 'The payment was declined'
  const failed = await withUser(platform.db.kysely, claims, (tx) => repo.markFailed(tx, purchase.id, result.paymentId, message, now))
  return settledOutcome(platform, claims, failed ?? (await reload(platform, claims, purchase.id))!)
}

function reload(platform: Platform, claims: Claims, id: string) {
  return withUser(platform.db.kysely, claims, (tx) => repo.findPurchase(tx, id))
}

/** The answer for a purchase that already has its outcome: its balance, or a 402 for a decline. */
async function settledOutcome(platform: Platform, claims: Claims, purchase: repo.Purchase): Promise<PurchaseOutcome> {
  if (purchase.status === 'pending') return { status: 'pending', purchase }
  if (purchase.status === 'failed')
    throw new AppError('payment_required', `The payment failed: ${purchase.failureMessage ?? 'declined'}`, { purchase: present(purchase) })
  if (purchase.status === 'refunded') throw new AppError('conflict', 'This purchase was refunded', { purchase: present(purchase) })
  const balance = await withUser(platform.db.kysely, claims, (tx) => repo.creditBalance(tx, claims.sub))
  return { status: 'succeeded', purchase, balance: balance ?? 0 }
}

function creditPurchase(platform: Platform, tx: Tx, purchase: repo.Purchase) {
  return platform.ledger.move(tx, { ...BALANCE, accountId: purchase.clientId, delta: purchase.credits, reason: 'purchase', reference: purchase.id })
}

/** A purchase as the API shows it (error details are not run through the response schema). */
export function present(p: repo.Purchase) {
  return {
    id: p.id,
    packageId: p.packageId,
    credits: p.credits,
    amountCents: p.amountCents,
    currency: p.currency,
    provider: p.provider,
    providerPaymentId: p.providerPaymentId,
    status: p.status,
    failureMessage: p.failureMessage,
    createdAt: p.createdAt,
    completedAt: p.completedAt,
  }
}

export interface WebhookOutcome {
  received: true
  /** What the event did: 'credited', 'failed', or why it changed nothing. */
  result: 'credited' | 'failed' | 'already_settled' | 'ignored' | 'unknown_payment'
  purchaseId?: string
}

/**
 * Applies a verified payment webhook on the owner role (no user is signed in). A repeated or
 * concurrent delivery finds the purchase no longer pending and changes nothing.
 */
export async function handlePaymentWebhook(platform: Platform, rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
  const event = platform.payments.parseWebhook(rawBody, signature)
  if (event.type === 'other' || event.app !== APP || !event.paymentId) return { received: true, result: 'ignored' }
  const paymentId = event.paymentId
  return platform.db.kysely.transaction().execute(async (tx) => {
    let purchase = await repo.findPurchaseByPaymentId(tx, event.provider, paymentId, { forUpdate: true })
    // The webhook may beat the charge's answer: then only our reference names the purchase.
    if (!purchase && event.reference && UUID.test(event.reference)) {
      const byRef = await repo.findPurchase(tx, event.reference, { forUpdate: true })
      if (byRef && byRef.provider === event.provider && byRef.providerPaymentId === null) purchase = byRef
    }
    if (!purchase) {
      platform.log.warn({ eventId: event.eventId, paymentId }, 'payment webhook for an unknown purchase')
      return { received: true, result: 'unknown_payment' }
    }
    const now = platform.clock.now()
    if (event.type === 'payment.succeeded') {
      const done = await repo.markSucceeded(tx, purchase.id, paymentId, now)
      if (!done) return { received: true, result: 'already_settled', purchaseId: purchase.id }
      await creditPurchase(platform, tx, done)
      await platform.audit.record(tx, {
        app: APP,
        actorId: null,
        actorRole: 'system',
        action: 'credits.purchased',
        subjectType: 'credit_purchase',
        subjectId: done.id,
        data: { packageId: done.packageId, credits: done.credits, provider: done.provider, paymentId, eventId: event.eventId },
      })
      return { received: true, result: 'credited', purchaseId: done.id }
    }
    const failed = await repo.markFailed(tx, purchase.id, paymentId, event.failureMessage ?? 'The payment failed', now)
    return { received: true, result: failed ? 'failed' : 'already_settled', purchaseId: purchase.id }
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function creditAccount(platform: Platform, claims: Claims, limit: number) {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const balance = await repo.creditBalance(tx, claims.sub)
    if (balance === undefined) throw notFound('Client', { clientId: claims.sub })
    return { balance, entries: await repo.ledgerEntries(tx, claims.sub, limit) }
  })
}

export function listPurchases(platform: Platform, claims: Claims, limit: number) {
  return withUser(platform.db.kysely, claims, (tx) => repo.listPurchases(tx, claims.sub, limit))
}

export async function getPurchase(platform: Platform, claims: Claims, id: string) {
  const purchase = await reload(platform, claims, id)
  if (!purchase) throw notFound('Purchase', { purchaseId: id })
  return purchase
}
