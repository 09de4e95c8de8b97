// The skeleton's HTTP surface: code sign-in, a member's notes (guarded; row-level security decides
// whose), and buying a credit pack (Idempotency-Key) with its payment webhook.
import { z } from 'zod'
import {
  type AppContext,
  answerPurchase,
  errorSchema,
  idempotencyKeyOf,
  otpCode,
  otpEmail,
  otpRoutes,
  paymentMethodField,
  paymentWebhookRoute,
  purchaseResponses,
  purchaseSchemaOf,
} from '../../../src/platform'
import { createAccounts, creditPurchases, MEMBER, notes } from './service'

const tags = ['skeleton']
const sessionSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int(),
    user: z.object({ id: z.uuid(), email: z.string(), role: z.literal(MEMBER) }),
  })
  .meta({ id: 'SkeletonSession' })
const noteSchema = z.object({ id: z.uuid(), body: z.string(), createdAt: z.date() }).meta({ id: 'SkeletonNote' })
const noteParams = z.object({ id: z.uuid() })
const purchaseSchema = purchaseSchemaOf('SkeletonCreditPurchase', { credits: z.number().int() })

export async function skeletonRoutes({ http, platform, guard, asUser }: AppContext) {
  const accounts = createAccounts(platform)
  const asMember = guard([MEMBER])

  otpRoutes(http, {
    tags,
    requestBody: z.object({ email: otpEmail }),
    verifyBody: z.object({ email: otpEmail, code: otpCode }),
    verifyDescription: 'The first verified code creates the account.',
    sessionSchema,
    otp: accounts.otp,
    request: (body, ctx) => accounts.requestCode(body.email, ctx.ip),
    verify: async (body, ctx) => (await accounts.verifyCode(body.email, body.code, ctx.ip)) as z.infer<typeof sessionSchema>,
  })

  http.get(
    '/notes',
    { preHandler: asMember, schema: { tags, summary: 'Your notes', response: { 200: z.object({ notes: z.array(noteSchema) }) } } },
    async (req) => ({ notes: await asUser(req.claims, (tx) => notes.list(tx)) }),
  )
  http.post(
    '/notes',
    {
      preHandler: asMember,
      schema: {
        tags,
        summary: 'Write a note',
        body: z.object({ body: z.string().min(1).max(2000) }),
        // A token outlives a deleted account; the note's owner must still exist.
        response: { 201: noteSchema, 404: errorSchema.describe('Your account no longer exists') },
      },
    },
    async (req, reply) => reply.code(201).send(await asUser(req.claims, (tx) => notes.create(tx, req.claims.sub, req.body.body))),
  )
  http.get(
    '/notes/:id',
    {
      preHandler: asMember,
      schema: { tags, summary: 'One of your notes', params: noteParams, response: { 200: noteSchema, 404: errorSchema } },
    },
    async (req) => asUser(req.claims, (tx) => notes.get(tx, req.params.id)),
  )
  http.delete(
    '/notes/:id',
    {
      preHandler: asMember,
      schema: { tags, summary: 'Delete one of your notes', params: noteParams, response: { 204: z.null(), 404: errorSchema } },
    },
    async (req, reply) => {
      await asUser(req.claims, (tx) => notes.remove(tx, req.params.id))
      return reply.code(204).send(null)
    },
  )

  http.post(
    '/credits/purchases',
    {
      preHandler: asMember,
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Buy a pack of credits',
        body: z.object({ paymentMethod: paymentMethodField }),
        response: purchaseResponses(purchaseSchema, z.object({ purchase: purchaseSchema, credits: z.number().int() }), {
          notFound: 'Your account no longer exists',
          conflict: 'A request with this key is still running',
        }),
      },
    },
    async (req, reply) => {
      const r = await creditPurchases.buy(platform, req.claims, { ...req.body, idempotencyKey: idempotencyKeyOf(req) }, req.id)
      return answerPurchase(reply, r, (paid) => ({ purchase: paid.purchase, credits: paid.credits }))
    },
  )
  await paymentWebhookRoute(http, {
    path: '/payments/webhook',
    tags,
    summary: 'Payment webhook for credit packs',
    effect: 'A succeeded payment adds its credits',
    results: ['credited', 'failed', 'already_settled', 'ignored', 'unknown_payment'],
    handle: (body, signature) => creditPurchases.handleWebhook(platform, body, signature),
  })
}
