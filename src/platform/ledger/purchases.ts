// One purchase flow for every app: charge, settle by the charge's answer or the webhook, pending ->
// succeeded | failed (-> refunded), Idempotency-Key, and the answer. An app names its product (what
// a request costs, the app's own columns) and what settling grants (a callback run in the settling
// transaction: credits through the ledger, a subscription period); its purchases stay in its own
// table of the shared shape (docs/decisions/0012-platform-purchase-flow.md).
//
// A purchase's id derives from the buyer and the request's Idempotency-Key, and the same key goes
// to the payment provider: whatever retries happen (the HTTP layer replays most; a 5xx or an
// expired key lets one through), one key is one purchase row, one payment and one grant. Settling
// is guarded by the state it leaves (purchase-states.ts), so the charge's answer and a webhook
// racing it cannot both grant.
import { createHash } from 'node:crypto'
import type { Platform } from '../platform'
import type { Kysely } from 'kysely'
import type { Executor, Tx } from '../db/database'
import { withUser, type Claims } from '../db/with-user'
import { AppError, conflict, notFound } from '../http/errors'
import { purchaseStates } from './purchase-states'

// Each app's purchases sit in its own table, named only at run time, so the generated DB types
// cannot check these queries; test/platform-shapes.test.ts checks every table against the shape.
// biome-ignore lint/suspicious/noExplicitAny: the columns are the app's own
const anyTable = (tx: Executor) => tx as unknown as Kysely<Record<string, Record<string, any>>>

/** The columns every purchase table shares (snake_case, as Postgres formats their types); test/platform-shapes.test.ts checks them. */
export const PURCHASE_COLUMNS = {
  id: 'uuid',
  amount_cents: 'integer',
  currency: 'character(3)',
  provider: 'character varying(20)',
  provider_payment_id: 'character varying(255)',
  status: 'character varying(20)',
  failure_message: 'text',
  created_at: 'timestamp with time zone',
  completed_at: 'timestamp with time zone',
} as const

/** PurchaseRow's columns as Kysely names them; an app's column list adds its own. */
export const PURCHASE_ROW_COLUMNS = [
  'id',
  'amountCents',
  'currency',
  'provider',
  'providerPaymentId',
  'status',
  'failureMessage',
  'createdAt',
  'completedAt',
] as const

export type PurchaseStatus = 'pending' | 'succeeded' | 'failed' | 'refunded'

export interface PurchaseRow {
  id: string
  amountCents: number
  currency: string
  provider: string
  providerPaymentId: string | null
  status: PurchaseStatus
  failureMessage: string | null
  createdAt: Date
  completedAt: Date | null
}

export interface Priced {
  amountCents: number
  currency: string
  /** The app's own columns of the new row (e.g. packageId and credits, or planType). */
  columns: Record<string, unknown>
}

/**
 * The error a flow's `mismatch` gives when the key's purchase bought another product than this
 * request asks for (`what`: 'package', 'plan'); details name the product it did buy.
 */
export const keyUsedForOtherProduct = (what: string, purchaseId: string, bought: Record<string, unknown>) =>
  new AppError('idempotency_key_reused', `This Idempotency-Key already bought another ${what}; use a new key`, {
    purchaseId,
    ...bought,
  })

export interface PurchaseFlowDefinition<I, P extends PurchaseRow, G, A extends object> {
  app: string
  /** e.g. 'credit-purchase': part of each purchase id and of the provider's idempotency key. */
  kind: string
  /** The app's purchase table as Kysely names it, e.g. 'onedesigner.creditPurchases'. */
  table: string
  /** The column holding the buyer's user id (camelCase), e.g. 'clientId'. */
  buyerColumn: string
  /** Every column read back (camelCase): the shared ones and the app's. */
  columns: readonly string[]
  /** In the buyer's transaction, before a key's first charge: checks the request and prices it (throws 404/409 ...). */
  price(tx: Tx, claims: Claims, input: I, now: Date): Promise<Priced>
  /** What the payment is for, as the provider shows it (also for a retried charge). */
  describe(p: P): string
  /** The error for a key already used for another request; undefined when the stored purchase is this request's. */
  mismatch(p: P, input: I): AppError | undefined
  /** In the settling transaction (owner role): what a paid purchase gives. */
  grant(platform: Platform, tx: Tx, p: P, now: Date): Promise<G>
  /** In the refunding transaction (owner role): undoes the grant as far as it can; says what it did. */
  reverse(platform: Platform, tx: Tx, p: P, now: Date): Promise<Record<string, unknown>>
  /** The app's part of a succeeded answer, in the buyer's transaction; granted is set when this request settled it. */
  answer(platform: Platform, tx: Tx, claims: Claims, p: P, granted: G | undefined): Promise<A>
  audit: { action: string; subjectType: string; data(p: P, granted: G): Record<string, unknown> }
  /** The webhook's result when a payment settled a purchase, e.g. 'credited'. */
  settledResult: string
}

export type PurchaseOutcome<P, A> = ({ status: 'succeeded'; purchase: P } & A) | { status: 'pending'; purchase: P; clientSecret?: string }

export interface WebhookOutcome<S extends string> {
  received: true
  /** What the event did, or why it changed nothing. */
  result: S | 'failed' | 'already_settled' | 'ignored' | 'unknown_payment'
  purchaseId?: string
}

export interface RefundOutcome<P> {
  purchase: P
  /** false when the purchase had been refunded before: nothing moved this time. */
  refunded: boolean
  refundId?: string
  /** What undoing the grant did (the app's reverse), when this call refunded it. */
  reversal?: Record<string, unknown>
}

export interface Actor {
  id: string | null
  role: string
  requestId?: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A UUID (version 8, RFC 9562) derived from text. */
export function derivedUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function purchaseFlow<I, P extends PurchaseRow, G, A extends object>(def: PurchaseFlowDefinition<I, P, G, A>) {
  const { app, table, columns } = def
  const states = purchaseStates<P>(table, columns)
  const keyOf = (buyerId: string, idempotencyKey: string) => `${app}:${def.kind}:${buyerId}:${idempotencyKey}`

  function find(tx: Executor, id: string, o: { forUpdate?: boolean } = {}): Promise<P | undefined> {
    let q = anyTable(tx)
      .selectFrom(table)
      .select(columns as string[])
      .where('id', '=', id)
    if (o.forUpdate) q = q.forUpdate()
    return q.executeTakeFirst() as Promise<P | undefined>
  }

  function findByPayment(tx: Executor, provider: string, paymentId: string): Promise<P | undefined> {
    return anyTable(tx)
      .selectFrom(table)
      .select(columns as string[])
      .where('provider', '=', provider)
      .where('providerPaymentId', '=', paymentId)
      .forUpdate()
      .executeTakeFirst() as Promise<P | undefined>
  }

  /** A purchase as error details show it (they are not run through a response schema): without the buyer. */
  function present(p: P): P {
    const shown: Record<string, unknown> = { ...(p as object) }
    delete shown[def.buyerColumn]
    return shown as P
  }

  /** In tx (owner role): pending or failed -> succeeded, the grant, the audit entry; undefined when it was settled already. */
  async function settleIn(platform: Platform, tx: Tx, id: string, paymentId: string | undefined, actor: Actor, eventId?: string) {
    const now = platform.clock.now()
    const done = await states.markSucceeded(tx, id, paymentId, now)
    if (!done) return undefined
    const granted = await def.grant(platform, tx, done, now)
    const purchase = (await find(tx, id))!
    await platform.audit.record(tx, {
      app,
      actorId: actor.id,
      actorRole: actor.role,
      action: def.audit.action,
      subjectType: def.audit.subjectType,
      subjectId: id,
      data: { ...def.audit.data(purchase, granted), amountCents: purchase.amountCents, provider: purchase.provider, paymentId, eventId },
      requestId: actor.requestId,
    })
    return { purchase, granted }
  }

  const ownerTx = <T>(platform: Platform, fn: (tx: Tx) => Promise<T>) => platform.db.kysely.transaction().execute(fn)
  const reload = (platform: Platform, claims: Claims, id: string) => withUser(platform.db.kysely, claims, (tx) => find(tx, id))

  /** The answer for a purchase that already has its outcome: what it granted, or a 402 for a decline. */
  async function settledOutcome(platform: Platform, claims: Claims, purchase: P): Promise<PurchaseOutcome<P, A>> {
    if (purchase.status === 'pending') return { status: 'pending', purchase }
    if (purchase.status === 'failed')
      throw new AppError('payment_required', `The payment failed: ${purchase.failureMessage ?? 'declined'}`, {
        purchase: present(purchase),
      })
    if (purchase.status === 'refunded') throw conflict('This purchase was refunded', { purchase: present(purchase) })
    const answer = await withUser(platform.db.kysely, claims, (tx) => def.answer(platform, tx, claims, purchase, undefined))
    return { status: 'succeeded', purchase, ...answer }
  }

  return {
    app,
    find,
    present,

    /** The buyer's purchases, newest first (under withUser, RLS shows only theirs). */
    list(tx: Executor, buyerId: string, limit: number): Promise<P[]> {
      return anyTable(tx)
        .selectFrom(table)
        .select(columns as string[])
        .where(def.buyerColumn, '=', buyerId)
        .orderBy('createdAt', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute() as Promise<P[]>
    },

    /** One of the buyer's purchases; 404 when there is none they may see. */
    async get(platform: Platform, claims: Claims, id: string): Promise<P> {
      const purchase = await reload(platform, claims, id)
      if (!purchase) throw notFound('Purchase', { purchaseId: id })
      return purchase
    },

    purchaseIdFor: (buyerId: string, idempotencyKey: string) => derivedUuid(keyOf(buyerId, idempotencyKey)),

    /** Records the purchase (once per key), charges it and settles what the provider's answer allows. */
    async buy(
      platform: Platform,
      claims: Claims,
      input: I & { idempotencyKey: string; paymentMethod?: string },
      requestId?: string,
    ): Promise<PurchaseOutcome<P, A>> {
      const buyerId = claims.sub
      const id = derivedUuid(keyOf(buyerId, input.idempotencyKey))
      const recorded = await withUser(platform.db.kysely, claims, async (tx) => {
        const existing = await find(tx, id)
        if (existing) return existing
        const now = platform.clock.now()
        const priced = await def.price(tx, claims, input, now)
        await anyTable(tx)
          .insertInto(table)
          .values({
            ...priced.columns,
            id,
            [def.buyerColumn]: buyerId,
            amountCents: priced.amountCents,
            currency: priced.currency,
            provider: platform.payments.name,
            status: 'pending',
            createdAt: now,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute()
        const purchase = await find(tx, id)
        if (!purchase) throw notFound('Your account', { accountId: buyerId })
        return purchase
      })
      const reused = def.mismatch(recorded, input)
      if (reused) throw reused
      // The key was used before (a retry after a 5xx or after the key expired): answer from the record.
      if (recorded.status !== 'pending') return settledOutcome(platform, claims, recorded)

      const result = await platform.payments.charge({
        app,
        accountId: buyerId,
        reference: recorded.id,
        amountCents: recorded.amountCents,
        currency: recorded.currency,
        description: def.describe(recorded),
        idempotencyKey: keyOf(buyerId, input.idempotencyKey),
        paymentMethod: input.paymentMethod,
      })

      if (result.status === 'succeeded') {
        const settled = await ownerTx(platform, (tx) =>
          settleIn(platform, tx, id, result.paymentId, { id: buyerId, role: claims.role, requestId }),
        )
        // A webhook settled it between the charge and now: report what it did.
        if (!settled) return settledOutcome(platform, claims, (await reload(platform, claims, id))!)
        const answer = await withUser(platform.db.kysely, claims, (tx) =>
          def.answer(platform, tx, claims, settled.purchase, settled.granted),
        )
        return { status: 'succeeded', purchase: settled.purchase, ...answer }
      }
      if (result.status === 'pending') {
        const updated = result.paymentId ? await ownerTx(platform, (tx) => states.setPaymentId(tx, id, result.paymentId!)) : recorded
        if (!updated) return settledOutcome(platform, claims, (await reload(platform, claims, id))!)
        return { status: 'pending', purchase: updated, clientSecret: result.clientSecret }
      }
      const message = result.failureMessage ?? 'The payment was declined'
      const failed = await ownerTx(platform, (tx) => states.markFailed(tx, id, result.paymentId, message, platform.clock.now()))
      return settledOutcome(platform, claims, failed ?? (await reload(platform, claims, id))!)
    },

    /**
     * Applies a verified payment webhook (owner role: no user is signed in). A repeated or
     * concurrent delivery finds the purchase no longer pending and changes nothing.
     */
    async handleWebhook(platform: Platform, rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome<string>> {
      const event = platform.payments.parseWebhook(rawBody, signature)
      if (event.type === 'other' || event.app !== app || !event.paymentId) return { received: true, result: 'ignored' }
      const paymentId = event.paymentId
      return ownerTx(platform, async (tx): Promise<WebhookOutcome<string>> => {
        let purchase = await findByPayment(tx, event.provider, paymentId)
        // The webhook may beat the charge's answer: then only our reference names the purchase.
        if (!purchase && event.reference && UUID.test(event.reference)) {
          const byRef = await find(tx, event.reference, { forUpdate: true })
          if (byRef && byRef.provider === event.provider && byRef.providerPaymentId === null) purchase = byRef
        }
        if (!purchase) {
          platform.log.warn({ app, eventId: event.eventId, paymentId }, 'payment webhook for an unknown purchase')
          return { received: true, result: 'unknown_payment' }
        }
        if (event.type === 'payment.succeeded') {
          const done = await settleIn(platform, tx, purchase.id, paymentId, { id: null, role: 'system' }, event.eventId)
          return { received: true, result: done ? def.settledResult : 'already_settled', purchaseId: purchase.id }
        }
        const failed = await states.markFailed(
          tx,
          purchase.id,
          paymentId,
          event.failureMessage ?? 'The payment failed',
          platform.clock.now(),
        )
        return { received: true, result: failed ? 'failed' : 'already_settled', purchaseId: purchase.id }
      })
    },

    /**
     * Refunds a paid purchase in full through the provider and undoes its grant as far as the app
     * can (def.reverse). Idempotent: the provider's refund is keyed by the payment, and the move
     * succeeded -> refunded happens once, so a repeated or concurrent call refunds and reverses once.
     */
    async refund(platform: Platform, purchaseId: string, actor: Actor = { id: null, role: 'system' }): Promise<RefundOutcome<P>> {
      const purchase = await ownerTx(platform, (tx) => find(tx, purchaseId))
      if (!purchase) throw notFound('Purchase', { purchaseId })
      if (purchase.status === 'refunded') return { purchase, refunded: false }
      if (purchase.status !== 'succeeded' || !purchase.providerPaymentId)
        throw conflict(`Only a paid purchase can be refunded; this one is ${purchase.status}`, { purchase: present(purchase) })
      const refund = await platform.payments.refund(purchase.providerPaymentId, purchase.amountCents)
      if (refund.status === 'failed')
        throw new AppError('upstream_failed', `The payment provider did not refund the payment: ${refund.failureMessage ?? 'refused'}`, {
          refundId: refund.refundId,
        })
      return ownerTx(platform, async (tx) => {
        const now = platform.clock.now()
        const moved = await states.markRefunded(tx, purchaseId)
        if (!moved) return { purchase: (await find(tx, purchaseId))!, refunded: false, refundId: refund.refundId }
        const reversal = await def.reverse(platform, tx, moved, now)
        await platform.audit.record(tx, {
          app,
          actorId: actor.id,
          actorRole: actor.role,
          action: `${def.audit.action.split('.')[0]}.refunded`,
          subjectType: def.audit.subjectType,
          subjectId: purchaseId,
          data: {
            refundId: refund.refundId,
            refundStatus: refund.status,
            amountCents: purchase.amountCents,
            provider: purchase.provider,
            reversal,
          },
          requestId: actor.requestId,
        })
        return { purchase: moved, refunded: true, refundId: refund.refundId, reversal }
      })
    },
  }
}

export type PurchaseFlow<I, P extends PurchaseRow, G, A extends object> = ReturnType<typeof purchaseFlow<I, P, G, A>>
