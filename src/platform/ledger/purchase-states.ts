// The states of a purchase row (pending -> succeeded | failed, succeeded -> refunded), for any app's purchase table with
// status, provider_payment_id, failure_message and completed_at. Each move is guarded by the state
// it leaves, so the charge's answer and a webhook racing it cannot both settle one purchase.
import type { Kysely } from 'kysely'
import type { Executor } from '../db/database'
import type { Timestamp } from '../db/schema.generated'

/** The columns these moves touch, which every app's purchase table has; the caller names the rest it wants back. */
interface PurchaseStateColumns {
  id: string
  status: string
  providerPaymentId: string | null
  failureMessage: string | null
  completedAt: Timestamp | null
  [column: string]: unknown
}

// The table is the caller's (any app's): the moves are typed by the columns above.
const purchases = (tx: Executor) => tx as unknown as Kysely<Record<string, PurchaseStateColumns>>

export function purchaseStates<P>(table: string, columns: readonly string[]) {
  const paid = (paymentId: string | undefined) => (paymentId ? { providerPaymentId: paymentId } : {})
  return {
    /**
     * pending or failed -> succeeded (a payment can succeed on a later attempt after a failed one);
     * undefined when it already succeeded, so a purchase is fulfilled once.
     */
    markSucceeded(tx: Executor, id: string, paymentId: string | undefined, at: Date): Promise<P | undefined> {
      return purchases(tx)
        .updateTable(table)
        .set({ status: 'succeeded', completedAt: at, failureMessage: null, ...paid(paymentId) })
        .where('id', '=', id)
        .where('status', 'in', ['pending', 'failed'])
        .returning(columns as string[])
        .executeTakeFirst() as Promise<P | undefined>
    },

    /** pending -> failed; undefined when the purchase was not pending. */
    markFailed(tx: Executor, id: string, paymentId: string | undefined, message: string, at: Date): Promise<P | undefined> {
      return purchases(tx)
        .updateTable(table)
        .set({ status: 'failed', failureMessage: message, completedAt: at, ...paid(paymentId) })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning(columns as string[])
        .executeTakeFirst() as Promise<P | undefined>
    },

    /** succeeded -> refunded; undefined when it was not succeeded (refunded before, or never paid). */
    markRefunded(tx: Executor, id: string): Promise<P | undefined> {
      return purchases(tx)
        .updateTable(table)
        .set({ status: 'refunded' })
        .where('id', '=', id)
        .where('status', '=', 'succeeded')
        .returning(columns as string[])
        .executeTakeFirst() as Promise<P | undefined>
    },

    /** Records the provider's payment on a purchase still waiting for its outcome. */
    setPaymentId(tx: Executor, id: string, paymentId: string): Promise<P | undefined> {
      return purchases(tx)
        .updateTable(table)
        .set({ providerPaymentId: paymentId })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning(columns as string[])
        .executeTakeFirst() as Promise<P | undefined>
    },
  }
}
