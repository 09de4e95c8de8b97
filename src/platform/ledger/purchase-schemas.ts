// The HTTP side of the platform purchase flow (purchases.ts): the purchase's shared fields, the
// payment method field, the answers of a purchase request and how an outcome becomes one. An app
// adds its product's fields and its succeeded body; the route itself stays in the app's routes.
import { z, type ZodRawShape, type ZodType } from 'zod'
import { errorSchema } from '../http/server'
import { IDEMPOTENCY_HEADER } from '../http/idempotency'
import type { PurchaseOutcome } from './purchases'

export const paymentMethodField = z
  .string()
  .max(255)
  .regex(/^pm_[A-Za-z0-9_]+$/, 'must be a payment method id (pm_...)')
  .optional()
  .describe(
    "Payment method to charge. Local test payments: 'pm_card_visa' (default, succeeds), 'pm_card_declined', " +
      "'pm_card_authenticationRequired' (pending). With Stripe, omit it to get a clientSecret to confirm with Stripe.js.",
  )

/** A purchase as the API shows it: the app's product fields (and links) between the id and the payment's fields. */
export function purchaseSchemaOf<T extends ZodRawShape>(name: string, own: T) {
  return z
    .object({
      id: z.uuid(),
      ...own,
      amountCents: z.number().int(),
      currency: z.string(),
      provider: z.string().describe("'local' (test payments) or 'stripe'"),
      providerPaymentId: z.string().nullable(),
      status: z.enum(['pending', 'succeeded', 'failed', 'refunded']),
      failureMessage: z.string().nullable(),
      createdAt: z.date(),
      completedAt: z.date().nullable(),
    })
    .meta({ id: name })
}

/** The answers of POST <purchase>: 201 with what was granted, 202 while the customer confirms, and the errors. */
export function purchaseResponses<P, S>(purchase: ZodType<P>, succeeded: ZodType<S>, notes: { notFound: string; conflict: string }) {
  return {
    201: succeeded,
    202: z
      .object({ purchase, clientSecret: z.string().nullable().describe('Confirm the payment with this (Stripe.js)') })
      .describe('Waiting for the customer to confirm the payment'),
    402: errorSchema.describe('The payment was declined (payment_required); details.purchase is the failed purchase'),
    404: errorSchema.describe(notes.notFound),
    409: errorSchema.describe(notes.conflict),
    422: errorSchema.describe('idempotency_key_reused: the key was used for a different request'),
    502: errorSchema.describe('The payment provider could not be reached; retry with the same key'),
    503: errorSchema,
  }
}

/** The request's Idempotency-Key (the HTTP layer has required and claimed it for routes marked idempotent). */
export const idempotencyKeyOf = (req: { headers: Record<string, unknown> }) => String(req.headers[IDEMPOTENCY_HEADER])

/** 202 with the client secret while pending, else 201 with the app's succeeded body. */
export function answerPurchase<P, A, B>(
  reply: { code(status: number): unknown },
  r: PurchaseOutcome<P, A>,
  succeeded: (r: { status: 'succeeded'; purchase: P } & A) => B,
) {
  if (r.status === 'pending') {
    reply.code(202)
    return { purchase: r.purchase, clientSecret: r.clientSecret ?? null }
  }
  reply.code(201)
  return succeeded(r)
}
