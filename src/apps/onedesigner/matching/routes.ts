// Ranked designer matches for a client's brief, with reasons and a reproducible explanation.
import { z } from 'zod'
import { type AppContext, errorSchema } from '../../../platform'
import { designerViewSchema } from '../designers/visibility'
import { explainMatch, getMatch, listMatches, matchBrief } from './service'

const tags = ['matching']

const matchSchema = z
  .object({
    id: z.uuid(),
    briefId: z.uuid(),
    designerId: z.uuid(),
    score: z.number().int().min(50).max(85).describe('Match score, 50..85'),
    reasons: z.array(z.string()).describe('The three strongest factors, in words naming facts of the brief and the designer'),
    aiMessage: z.string().nullable(),
    aiProvider: z.string(),
    matchVersion: z.string().describe('Match engine version'),
    processingTime: z.number().int().nullable().describe('Milliseconds spent computing'),
    tokensUsed: z.number().int().nullable(),
    status: z.enum(['active', 'unlocked', 'expired']),
    expiresAt: z.date().nullable(),
    createdAt: z.date(),
    unlockedAt: z.date().nullable(),
    designer: designerViewSchema,
  })
  .meta({ id: 'DesignerMatch' })

const factorSchema = z.object({
  name: z.string(),
  weight: z.number().int(),
  value: z.number().min(0).max(1),
  points: z.number().int().describe('round(value * 10000): the only number the score uses'),
  inputs: z.record(z.string(), z.unknown()),
  reason: z.string(),
})

const explanationSchema = z
  .object({
    matchId: z.uuid(),
    engineVersion: z.string(),
    formula: z.string(),
    range: z.object({ min: z.number().int(), max: z.number().int() }),
    factors: z.array(factorSchema),
    raw: z.number().int().describe('Weighted score on 0..10000 before mapping into the range'),
    score: z.number().int(),
    storedScore: z.number().int(),
    recomputedScore: z.number().int().describe('The score recomputed from the factors above; equals storedScore'),
    aiProvider: z.string(),
    matchVersion: z.string(),
  })
  .meta({ id: 'MatchExplanation' })

const briefParams = z.object({ id: z.uuid() })
const matchParams = z.object({ id: z.uuid() })
const errors = { 404: errorSchema }

export async function matchingRoutes({ http, platform, guard }: AppContext) {
  const clientOnly = guard(['client'])

  http.post(
    '/briefs/:id/matches',
    {
      preHandler: clientOnly,
      config: { limit: { name: 'matching-runs', points: 60, perSeconds: 3600 } },
      schema: {
        tags,
        summary: 'Match designers to my brief',
        description:
          "Ranks approved, available designers in the brief's category and stores the best five with three reasons and a message. " +
          'Asking again within 24 hours returns the same matches from the cache (cached: true); afterwards, or once the brief changed, they are recomputed in place.',
        params: briefParams,
        response: {
          200: z.object({ briefId: z.uuid(), cached: z.boolean(), candidatesConsidered: z.number().int(), matches: z.array(matchSchema) }),
          ...errors,
          409: errorSchema,
          502: errorSchema,
        },
      },
    },
    async (req) => matchBrief(platform, req.claims, req.params.id),
  )

  http.get(
    '/briefs/:id/matches',
    {
      preHandler: clientOnly,
      schema: {
        tags,
        summary: "My brief's matches, best first",
        params: briefParams,
        response: { 200: z.object({ matches: z.array(matchSchema) }), ...errors },
      },
    },
    async (req) => ({ matches: await listMatches(platform, req.claims, req.params.id) }),
  )

  http.get(
    '/matches/:id',
    {
      preHandler: clientOnly,
      schema: { tags, summary: 'One of my matches', params: matchParams, response: { 200: matchSchema, ...errors } },
    },
    async (req) => getMatch(platform, req.claims, req.params.id),
  )

  http.get(
    '/matches/:id/explain',
    {
      preHandler: clientOnly,
      schema: {
        tags,
        summary: 'How a match was scored',
        description:
          'Each factor with its weight, inputs and reason, the engine version and the formula; recomputing gives the stored score.',
        params: matchParams,
        response: { 200: explanationSchema, ...errors, 422: errorSchema },
      },
    },
    async (req) => explainMatch(platform, req.claims, req.params.id),
  )
}
