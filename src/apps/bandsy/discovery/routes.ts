// GET /v1/bandsy/discovery: candidate musicians for the signed-in musician, best first.
import { z } from 'zod'
import { type AppContext, errorSchema, BandsySkillLevelValues } from '../../../platform'
import { discover } from './service'

const instrumentSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  category: z.string().nullable(),
  skillLevel: z.enum(BandsySkillLevelValues),
  yearsOfExperience: z.number().int().nullable(),
  isPrimary: z.boolean(),
})

const candidateSchema = z.object({
  profile: z.object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    country: z.string().nullable(),
    age: z.number().int().nullable().describe('Only when the musician shows their age'),
    primaryInstrument: instrumentSchema.nullable(),
    instruments: z.array(instrumentSchema),
    genres: z.array(z.object({ id: z.uuid(), name: z.string(), preference: z.number().int() })),
  }),
  distanceKm: z
    .number()
    .describe('Whole kilometres (0: under half a kilometre); coordinates are never shown, and no score, reason or order tells more'),
  score: z.number().min(0).max(100).describe('Compatibility 0..100 (two decimals)'),
  factors: z.array(z.object({ name: z.string(), weight: z.number().int(), value: z.number().min(0).max(1), reason: z.string() })),
  reasons: z.array(z.string()).describe('The strongest factors in words'),
})

export async function discoveryRoutes({ http, platform, guard }: AppContext) {
  http.get(
    '/discovery',
    {
      preHandler: guard(['musician']),
      config: { limit: { name: 'discovery', points: 600, perSeconds: 3600 } },
      schema: {
        tags: ['discovery'],
        summary: 'Musicians to discover, best match first',
        description:
          'Active musicians with complete profiles within your search radius (capped by your plan) and age range, ' +
          'not yourself, not blocked either way, not already liked, super-liked or passed. Ranked by instrument complement, ' +
          'genre overlap, distance, skill and activity. Page with `nextCursor`: the first page fixes the order for 30 minutes ' +
          '(410 once expired), so nobody appears twice or is skipped.',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(50).default(20),
          cursor: z.string().min(1).max(200).optional().describe('nextCursor from the previous page'),
          radiusKm: z.coerce
            .number()
            .int()
            .min(1)
            .max(1000)
            .optional()
            .describe("Search radius for a fresh feed, up to your plan's maximum (402 above it)"),
        }),
        response: {
          200: z.object({
            candidates: z.array(candidateSchema),
            nextCursor: z.string().nullable(),
            radiusKm: z.number().int(),
            expiresAt: z.date().describe('When the cursor stops working'),
          }),
          404: errorSchema,
          402: errorSchema,
          410: errorSchema,
          422: errorSchema,
        },
      },
    },
    async (req) => discover(platform, req.claims, { limit: req.query.limit, cursor: req.query.cursor, radiusKm: req.query.radiusKm }),
  )
}
