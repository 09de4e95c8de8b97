import { z } from 'zod'
import { type AppContext, errorSchema, idParams } from '../../../platform'
import { briefSchema, briefStatusSchema, createBriefSchema, patchBriefSchema } from './brief-schema'
import { briefService } from './service'

const tags = ['briefs']

export async function briefRoutes({ http, platform, guard }: AppContext) {
  const service = briefService(platform)
  const clientOnly = guard(['client'])

  http.post(
    '/briefs',
    {
      preHandler: clientOnly,
      config: { limit: { name: 'briefs', points: 30, perSeconds: 3600 } },
      schema: {
        tags,
        summary: 'Describe a project',
        description: 'categorySpecificFields must fit the projectType; a field of another type is refused by name.',
        body: createBriefSchema,
        response: { 201: briefSchema, 404: errorSchema },
      },
    },
    async (req, reply) => reply.code(201).send(await service.create(req.claims, req.body)),
  )

  http.get(
    '/briefs',
    {
      preHandler: clientOnly,
      schema: {
        tags,
        summary: 'Your briefs, newest first',
        querystring: z.object({
          status: briefStatusSchema.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
        response: {
          200: z.object({ briefs: z.array(briefSchema), total: z.number(), limit: z.number(), offset: z.number() }),
          404: errorSchema,
        },
      },
    },
    async (req) => service.list(req.claims, req.query),
  )

  http.get(
    '/briefs/:id',
    {
      preHandler: clientOnly,
      schema: { tags, summary: 'One of your briefs', params: idParams, response: { 200: briefSchema, 404: errorSchema } },
    },
    async (req) => service.get(req.claims, req.params.id),
  )

  http.patch(
    '/briefs/:id',
    {
      preHandler: clientOnly,
      schema: {
        tags,
        summary: 'Change an active brief',
        description:
          'Changing projectType re-checks categorySpecificFields against the new type. Cached match scores of the brief are dropped.',
        params: idParams,
        body: patchBriefSchema,
        response: { 200: briefSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req) => service.patch(req.claims, req.params.id, req.body),
  )

  http.post(
    '/briefs/:id/cancel',
    {
      preHandler: clientOnly,
      schema: {
        tags,
        summary: 'Cancel a brief',
        description: 'Cancelling twice is harmless; a completed brief cannot be cancelled (409).',
        params: idParams,
        response: { 200: briefSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req) => service.cancel(req.claims, req.params.id),
  )
}
