// Subscriptions: the public plan list, a musician's plan with its history, buying a plan
// (Idempotency-Key required), cancelling, and the payment webhook.
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
import { PAID_PLANS, PLANS } from '../plans'
import { cancelSubscription, handlePaymentWebhook, listPlans, mySubscription, purchaseSubscription } from './service'

const tags = ['subscriptions']

const featuresSchema = z
  .object({
    maxSearchRadiusKm: z.number().int().describe('Largest search radius the plan allows'),
    superLikesPerDay: z.number().int().nullable().describe('Super likes per UTC day; null: unlimited'),
    seeWhoLikedYou: z.boolean().describe('Sees plain likes sent to them (super likes are always seen)'),
  })
  .meta({ id: 'BandsyPlanFeatures' })

const planSchema = z
  .object({
    plan: z.enum(PLANS),
    priceCents: z.number().int().describe('Price of one period (0 for free)'),
    currency: z.string().describe('ISO 4217, lower case'),
    periodDays: z.number().int(),
    features: featuresSchema,
  })
  .meta({ id: 'BandsyPlan' })

const subscriptionSchema = z
  .object({
    id: z.uuid(),
    planType: z.enum(PAID_PLANS),
    status: z.enum(['active', 'cancelled', 'expired']).describe('A cancelled subscription keeps its features until endDate'),
    startDate: z.date(),
    endDate: z.date().nullable(),
    createdAt: z.date(),
  })
  .meta({ id: 'BandsySubscription' })

const purchaseSchema = purchaseSchemaOf('BandsySubscriptionPurchase', {
  planType: z.enum(PAID_PLANS),
  subscriptionId: z.uuid().nullable().describe('The subscription this purchase started or extended'),
})

const purchaseBody = z.object({
  plan: z.enum(PAID_PLANS).describe('The plan to buy one period of'),
  paymentMethod: paymentMethodField,
})

const limitQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Most history rows and purchases to list'),
})

export async function subscriptionRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])

  http.get(
    '/plans',
    {
      schema: {
        tags,
        summary: 'Plans, prices and what each unlocks (public)',
        description: 'No token needed. Takes no query parameters; an unknown one is a 400 naming it.',
        querystring: z.object({}).strict(),
        response: { 200: z.object({ plans: z.array(planSchema) }), 400: errorSchema },
      },
    },
    async () => ({ plans: listPlans() }),
  )

  http.get(
    '/subscription',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Your plan, its features, the subscription giving it, and your history',
        querystring: limitQuery,
        response: {
          200: z.object({
            plan: z.enum(PLANS),
            features: featuresSchema,
            subscription: subscriptionSchema
              .nullable()
              .describe('The subscription giving your plan now (active, or cancelled and not yet ended)'),
            history: z.array(subscriptionSchema).describe('Your subscriptions, newest first'),
            purchases: z.array(purchaseSchema).describe('Your purchases, newest first'),
          }),
        },
      },
    },
    async (req) => mySubscription(platform, req.claims, req.query.limit),
  )

  http.post(
    '/subscriptions',
    {
      preHandler: asMusician,
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Buy a period of a plan',
        description:
          'Charges the plan price and, in the transaction that records the payment, starts a subscription for 30 days; buying ' +
          'the plan you hold adds 30 days to it (and undoes a cancellation); a higher plan replaces the one you hold at once. ' +
          'A lower plan than the one you hold is refused (409) until yours has ended. Requires an Idempotency-Key header: a ' +
          'retry with the same key and body replays the first answer and never charges twice. A declined payment is a 402 ' +
          'with the failed purchase in error.details.purchase; a payment the customer must confirm is a 202, and its ' +
          'subscription starts with the payment webhook.',
        body: purchaseBody,
        response: purchaseResponses(
          purchaseSchema,
          z
            .object({
              purchase: purchaseSchema,
              subscription: subscriptionSchema,
              plan: z.enum(PLANS).describe('Your plan after this purchase'),
            })
            .describe('Paid: the subscription started or was extended'),
          {
            notFound: 'Your account no longer exists',
            conflict: 'conflict: you hold a higher plan; idempotency_in_progress: a request with this key is still running',
          },
        ),
      },
    },
    async (req, reply) => {
      const r = await purchaseSubscription(platform, req.claims, { ...req.body, idempotencyKey: idempotencyKeyOf(req) }, req.id)
      return answerPurchase(reply, r, (paid) => ({ purchase: paid.purchase, subscription: paid.subscription, plan: paid.plan }))
    },
  )

  http.post(
    '/subscription/cancel',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Cancel your active subscription',
        description: 'It keeps its features until its endDate; cancelling only stops it from being renewed. 409 when nothing is active.',
        response: {
          200: z.object({ subscription: subscriptionSchema, plan: z.enum(PLANS), features: featuresSchema }),
          409: errorSchema.describe('You have no active subscription'),
        },
      },
    },
    async (req) => cancelSubscription(platform, req.claims),
  )

  await paymentWebhookRoute(http, {
    path: '/payments/webhook',
    tags,
    summary: 'Payment webhook for subscription purchases (Stripe, or the local test provider)',
    effect: 'A succeeded payment completes its pending purchase and starts its subscription',
    results: ['subscribed', 'failed', 'already_settled', 'ignored', 'unknown_payment'],
    handle: (body, signature) => handlePaymentWebhook(platform, body, signature),
  })
}
