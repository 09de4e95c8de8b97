import { z } from 'zod'
import { type AppContext, idParams, errorSchema, secondFactorRoutes } from '../../../platform'
import { ownProfileSchema } from '../designers/profile-schema'
import { adminService } from './service'

const tags = ['admin']

export async function adminRoutes(ctx: AppContext) {
  const { http, platform, guard } = ctx
  // Admins sign in by email code, then step up with their authenticator app for these routes.
  secondFactorRoutes(ctx)
  const service = adminService(platform)
  const adminOnly = guard(['admin'])

  http.get(
    '/admin/designers',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Designers by review state',
        description:
          'pending: waiting for a first decision; approved; rejected; edited: approved designers who changed their profile since (the re-review queue). Queues list the longest waiting first.',
        querystring: z.object({
          status: z.enum(['pending', 'approved', 'rejected', 'edited']).default('pending'),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
        response: {
          200: z.object({ designers: z.array(ownProfileSchema), total: z.number(), limit: z.number(), offset: z.number() }),
          404: errorSchema,
        },
      },
    },
    async (req) => service.list(req.claims, req.query.status, { limit: req.query.limit, offset: req.query.offset }, req.id),
  )

  http.get(
    '/admin/designers/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Any designer, with email and approval state',
        params: idParams,
        response: { 200: ownProfileSchema, 404: errorSchema },
      },
    },
    async (req) => service.get(req.claims, req.params.id, req.id),
  )

  http.post(
    '/admin/designers/:id/approve',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Approve a designer (or re-approve after edits)',
        description:
          'Makes the designer visible to clients, clears any rejection and the edited flag, then computes the embedding used for matching. An embedding failure is logged and leaves the approval in place (embeddingRefreshed: false).',
        params: idParams,
        response: {
          200: z.object({ designer: ownProfileSchema, embeddingRefreshed: z.boolean() }),
          404: errorSchema,
          422: errorSchema.describe('The profile cannot be approved yet: it has no design category'),
        },
      },
    },
    async (req) => service.approve(req.claims, req.params.id, req.id),
  )

  http.post(
    '/admin/designers/:id/reject',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Reject a designer, with a reason they can read',
        params: idParams,
        body: z.object({ reason: z.string().trim().min(1).max(1000) }).strict(),
        response: { 200: ownProfileSchema, 404: errorSchema },
      },
    },
    async (req) => service.reject(req.claims, req.params.id, req.body.reason, req.id),
  )
}
