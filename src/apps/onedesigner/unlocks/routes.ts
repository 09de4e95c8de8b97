// POST /matches/:id/unlock spends a credit to reveal a matched designer's contact;
// GET /unlocks lists the designers a client has unlocked.
import { z } from 'zod'
import { type AppContext, errorSchema } from '../../../platform'
import { designerViewSchema } from '../designers/visibility'
import { listUnlocks, unlockMatch } from './service'

const TAGS = ['unlocks']

export const unlockSchema = z
  .object({
    id: z.uuid(),
    designerId: z.uuid(),
    matchId: z.uuid().nullable(),
    unlockedVia: z.string(),
    creditsUsed: z.number().int(),
    unlockedAt: z.date(),
    designer: designerViewSchema.nullable().describe('The designer with contact details; null when no longer listed'),
  })
  .meta({ id: 'Unlock' })

const unlockResponse = z.object({
  unlock: unlockSchema,
  balance: z.number().int().describe('Credits left after this request'),
  charged: z.number().int().describe('Credits this request spent: 1 for a new unlock, 0 when already unlocked'),
})

export async function unlockRoutes({ http, platform, guard }: AppContext) {
  const asClient = guard(['client'])

  http.post(
    '/matches/:id/unlock',
    {
      preHandler: asClient,
      // Requires an Idempotency-Key header; see src/platform/http/idempotency.ts.
      config: { idempotent: true },
      schema: {
        tags: TAGS,
        summary: "Unlock a matched designer's contact for 1 credit",
        description:
          'Spends one credit and reveals the designer’s email. Unlocking a designer you already unlocked is free ' +
          '(200 with the existing unlock). The Idempotency-Key header makes retries safe: a retry with the same key ' +
          'replays the first answer instead of spending again.',
        params: z.object({ id: z.uuid() }),
        response: {
          200: unlockResponse.describe('Already unlocked: nothing was spent'),
          201: unlockResponse.describe('Unlocked: one credit was spent'),
          402: errorSchema.describe('Not enough credits'),
          404: errorSchema,
          409: errorSchema.describe(
            'Designer no longer available, the brief of the match was cancelled, or a request with this Idempotency-Key is still running',
          ),
          410: errorSchema.describe('The match has expired'),
          422: errorSchema.describe('Idempotency-Key reused for a different request'),
        },
      },
    },
    async (req, reply) => {
      const r = await unlockMatch(platform, req.claims, req.params.id, req.id)
      reply.code(r.created ? 201 : 200)
      return { unlock: r.unlock, balance: r.balance, charged: r.created ? r.unlock.creditsUsed : 0 }
    },
  )

  http.get(
    '/unlocks',
    {
      preHandler: asClient,
      schema: {
        tags: TAGS,
        summary: 'Designers you have unlocked, with their contact details',
        response: { 200: z.object({ unlocks: z.array(unlockSchema) }) },
      },
    },
    async (req) => ({ unlocks: await listUnlocks(platform, req.claims) }),
  )
}
