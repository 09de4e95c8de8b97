// POST /interactions (like, pass, super like, block), DELETE /interactions/:toUserId/:type (undo a
// pass, unblock), GET /likes/received (who liked you).
import { z } from 'zod'
import { type AppContext, errorSchema, BandsyInteractionContextValues, BandsyInteractionTypeValues } from '../../../platform'
import { musicianCardSchema } from '../matches/musician-card'
import { interact, receivedLikes, undo } from './service'

const TAGS = ['interactions']

export const interactionSchema = z
  .object({
    id: z.uuid(),
    fromUserId: z.uuid(),
    toUserId: z.uuid(),
    type: z.enum(BandsyInteractionTypeValues),
    context: z.enum(BandsyInteractionContextValues),
    createdAt: z.date(),
  })
  .describe('BandsyInteraction')

const matchOutcomeSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    score: z.number().nullable(),
    created: z.boolean().describe('true when this like made the match'),
  })
  .meta({ id: 'BandsyMatchOutcome' })

const interactionResponse = z.object({
  interaction: interactionSchema,
  match: matchOutcomeSchema.nullable().describe('Set when you both like each other ("it\'s a match")'),
})

const receivedLikeSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(['like', 'super_like']),
    context: z.enum(BandsyInteractionContextValues),
    createdAt: z.date(),
    musician: musicianCardSchema.describe('Who liked you'),
  })
  .meta({ id: 'BandsyReceivedLike' })

export async function interactionRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])

  http.post(
    '/interactions',
    {
      preHandler: asMusician,
      config: { limit: { name: 'interactions', points: 600, perSeconds: 3600 } },
      schema: {
        tags: TAGS,
        summary: 'Like, pass, super like or block a musician',
        description:
          'Like, pass and super like are one swipe per musician: a new one replaces your earlier different swipe, the same ' +
          'one again is a 200 with the existing row. A like or super like back makes a match with its conversation, and ' +
          'both of you are notified. A block removes your swipes on them and ends an active match between you. Super ' +
          'likes per UTC day depend on your plan (429 past it).',
        body: z.object({
          toUserId: z.uuid().describe('The musician'),
          type: z.enum(BandsyInteractionTypeValues),
          context: z.enum(BandsyInteractionContextValues).default('discovery').describe('Where you saw them'),
        }),
        response: {
          200: interactionResponse.describe('The same interaction already existed'),
          201: interactionResponse.describe('Recorded'),
          404: errorSchema.describe('No such musician'),
          422: errorSchema.describe('toUserId is yourself'),
          429: errorSchema.describe('No super likes left today on your plan; details name the plan that gives more'),
        },
      },
    },
    async (req, reply) => {
      const r = await interact(platform, req.claims, req.body)
      reply.code(r.created ? 201 : 200)
      return { interaction: r.interaction, match: r.match }
    },
  )

  http.delete(
    '/interactions/:toUserId/:type',
    {
      preHandler: asMusician,
      schema: {
        tags: TAGS,
        summary: 'Undo a pass, or unblock',
        description: 'Unblocking does not bring back a match the block ended.',
        params: z.object({ toUserId: z.uuid(), type: z.enum(['pass', 'block']) }),
        response: {
          200: z.object({ interaction: interactionSchema.describe('The interaction removed') }),
          404: errorSchema.describe('You have no such pass or block'),
        },
      },
    },
    async (req) => ({ interaction: await undo(platform, req.claims, req.params.toUserId, req.params.type) }),
  )

  http.get(
    '/likes/received',
    {
      preHandler: asMusician,
      schema: {
        tags: TAGS,
        summary: 'Who liked you, newest first',
        description:
          'Super likes are listed on every plan; plain likes on premium and pro (`type=like` on free or basic is a 402 ' +
          'naming the plan to upgrade to). Musicians you matched, blocked or who blocked you are left out. Pages with ' +
          '`limit` and `cursor` (the `nextCursor` of the previous page).',
        querystring: z.object({
          type: z.enum(['all', 'like', 'super_like']).default('all'),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.uuid().optional().describe('nextCursor from the previous page'),
        }),
        response: {
          200: z.object({
            likes: z.array(receivedLikeSchema),
            nextCursor: z.uuid().nullable(),
            includesPlainLikes: z.boolean().describe('false on plans that see super likes only'),
          }),
          402: errorSchema.describe('Plain likes need premium or pro'),
        },
      },
    },
    async (req) => receivedLikes(platform, req.claims, req.query),
  )
}
