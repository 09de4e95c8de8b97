// Credits: packages, purchases (Idempotency-Key required), the payment webhook, and the
// client's balance with its ledger.
import { z } from 'zod'
import {
  type AppContext,
  errorSchema,
  answerPurchase,
  idempotencyKeyOf,
  paymentMethodField,
  purchaseResponses,
  purchaseSchemaOf,
  paymentWebhookRoute,
} from '../../../platform'
import { creditAccount, getPurchase, handlePaymentWebhook, listPackages, listPurchases, purchaseCredits } from './service'

const TAGS = ['credits']

export const creditPackageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    credits: z.number().int().describe('Credits this package adds'),
    priceCents: z.number().int(),
    currency: z.string().describe('ISO 4217, lower case'),
  })
  .meta({ id: 'CreditPackage' })

export const purchaseSchema = purchaseSchemaOf('CreditPurchase', { packageId: z.string(), credits: z.number().int() })

export const ledgerEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.date(),
    delta: z.number().int().describe('Credits added (positive) or spent (negative)'),
    balanceAfter: z.number().int(),
    reason: z.string().describe("Why: 'purchase', 'unlock', 'grant', 'refund' ..."),
    reference: z.string().nullable().describe('What it moved for, e.g. the purchase id'),
  })
  .meta({ id: 'LedgerEntry' })

const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) })

const purchaseBody = z.object({
  packageId: z.string().min(1).max(50).describe('A package id from GET /credits/packages'),
  paymentMethod: paymentMethodField,
})

export async function creditRoutes({ http, platform, guard }: AppContext) {
  const asClient = guard(['client'])

  http.get(
    '/credits/packages',
    {
      preHandler: asClient,
      schema: {
        tags: TAGS,
        summary: 'Credit packages on sale',
        response: { 200: z.object({ packages: z.array(creditPackageSchema) }) },
      },
    },
    async (req) => ({ packages: await listPackages(platform, req.claims) }),
  )

  http.post(
    '/credits/purchases',
    {
      preHandler: asClient,
      config: { idempotent: true },
      schema: {
        tags: TAGS,
        summary: 'Buy a credit package',
        description:
          'Charges the package price and adds its credits in the same transaction that records the purchase. ' +
          'Requires an Idempotency-Key header: a retry with the same key and body replays the first answer ' +
          '(Idempotent-Replayed: true) and never charges twice. A declined payment is a 402 with the failed purchase ' +
          'in error.details.purchase; a payment that needs the customer to confirm is a 202 with a clientSecret, and ' +
          'its credits arrive with the payment webhook.',
        body: purchaseBody,
        response: purchaseResponses(
          purchaseSchema,
          z
            .object({ purchase: purchaseSchema, balance: z.number().int().describe('Credits after this purchase') })
            .describe('Paid: credits added'),
          { notFound: 'No such active package', conflict: 'idempotency_in_progress: a request with this key is still running' },
        ),
      },
    },
    async (req, reply) => {
      const r = await purchaseCredits(platform, req.claims, { ...req.body, idempotencyKey: idempotencyKeyOf(req) }, req.id)
      return answerPurchase(reply, r, (paid) => ({ purchase: paid.purchase, balance: paid.balance }))
    },
  )

  http.get(
    '/credits/purchases',
    {
      preHandler: asClient,
      schema: {
        tags: TAGS,
        summary: 'Your credit purchases, newest first',
        querystring: limitQuery,
        response: { 200: z.object({ purchases: z.array(purchaseSchema) }) },
      },
    },
    async (req) => ({ purchases: await listPurchases(platform, req.claims, req.query.limit) }),
  )

  http.get(
    '/credits/purchases/:id',
    {
      preHandler: asClient,
      schema: {
        tags: TAGS,
        summary: 'One of your credit purchases (e.g. to follow a pending payment)',
        params: z.object({ id: z.uuid() }),
        response: { 200: z.object({ purchase: purchaseSchema }), 404: errorSchema },
      },
    },
    async (req) => ({ purchase: await getPurchase(platform, req.claims, req.params.id) }),
  )

  http.get(
    '/credits',
    {
      preHandler: asClient,
      schema: {
        tags: TAGS,
        summary: 'Your credit balance and ledger, newest entry first',
        querystring: limitQuery,
        response: {
          200: z.object({ balance: z.number().int(), entries: z.array(ledgerEntrySchema) }),
          404: errorSchema,
        },
      },
    },
    async (req) => creditAccount(platform, req.claims, req.query.limit),
  )

  await paymentWebhookRoute(http, {
    path: '/credits/webhook',
    tags: TAGS,
    summary: 'Payment webhook (Stripe, or the local test provider)',
    effect: 'A succeeded payment completes its pending purchase and adds the credits',
    results: ['credited', 'failed', 'already_settled', 'ignored', 'unknown_payment'],
    handle: (body, signature) => handlePaymentWebhook(platform, body, signature),
  })
}
