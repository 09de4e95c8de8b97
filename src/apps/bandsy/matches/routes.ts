// GET /matches, GET /matches/:id, POST /matches/:id/unmatch: the signed-in musician's matches.
import { z } from 'zod'
import { type AppContext, idParams, errorSchema } from '../../../platform'
import { musicianCardSchema } from './musician-card'
import { getMatch, listMatches, unmatch } from './service'

const TAGS = ['matches']

export const matchFactorSchema = z
  .object({
    name: z.string(),
    weight: z.number(),
    value: z.number(),
    points: z.number(),
    reason: z.string(),
    inputs: z.unknown(),
  })
  .meta({ id: 'BandsyMatchFactor' })

export const matchSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['active', 'unmatched', 'blocked']),
    score: z.number().nullable().describe('Compatibility 0..100 when the match was made'),
    factors: z.array(matchFactorSchema).describe('The named factors behind the score'),
    conversationId: z.uuid().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
    musician: musicianCardSchema.describe('The other musician'),
  })
  .meta({ id: 'BandsyMatch' })

export async function matchRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])

  http.get(
    '/matches',
    {
      preHandler: asMusician,
      schema: {
        tags: TAGS,
        summary: 'Your matches, newest first',
        description:
          'Active matches by default; `status=all` adds unmatched and blocked ones. A match with a musician whose account ' +
          'was deleted is not listed. Pages with `limit` and `cursor` (the `nextCursor` of the previous page).',
        querystring: z.object({
          status: z.enum(['active', 'all']).default('active'),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.uuid().optional().describe('nextCursor from the previous page'),
        }),
        response: { 200: z.object({ matches: z.array(matchSchema), nextCursor: z.uuid().nullable() }) },
      },
    },
    async (req) => listMatches(platform, req.claims, req.query),
  )

  http.get(
    '/matches/:id',
    {
      preHandler: asMusician,
      schema: {
        tags: TAGS,
        summary: 'One of your matches',
        params: idParams,
        response: { 200: z.object({ match: matchSchema }), 404: errorSchema.describe('No such match of yours') },
      },
    },
    async (req) => ({ match: await getMatch(platform, req.claims, req.params.id) }),
  )

  http.post(
    '/matches/:id/unmatch',
    {
      preHandler: asMusician,
      schema: {
        tags: TAGS,
        summary: 'End a match',
        description:
          'The match becomes `unmatched` and its conversation takes no more messages. Unmatching again changes nothing; ' +
          'a blocked match stays blocked.',
        params: idParams,
        response: { 200: z.object({ match: matchSchema }), 404: errorSchema.describe('No such match of yours') },
      },
    },
    async (req) => ({ match: await unmatch(platform, req.claims, req.params.id) }),
  )
}
