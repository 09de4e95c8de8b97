import { z } from 'zod'
import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'
import { bearer, requireRole } from '../../../platform/http/auth-guard'
import { ownProfileSchema } from '../designers/profile-schema'
import { adminService } from './service'
import { commonErrors, idParams } from '../../../platform/http/schemas'
import { errorSchema } from '../../../platform/http/server'

const APP = 'onedesigner'
const tags = ['onedesigner: admin']

export async function adminRoutes(http: Http, platform: Platform) {
  const service = adminService(platform)
  const adminOnly = requireRole(platform, APP, ['admin'])

  http.get(
    '/admin/designers',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Designers by review state',
        description:
          'pending: waiting for a first decision; approved; rejected; edited: approved designers who changed their profile since (the re-review queue). Queues list the longest waiting first.',
        security: bearer,
        querystring: z.object({
          status: z.enum(['pending', 'approved', 'rejected', 'edited']).default('pending'),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
        response: {
          200: z.object({ designers: z.array(ownProfileSchema), total: z.number(), limit: z.number(), offset: z.number() }),
          ...commonErrors,
        },
      },
    },
    async (req) => service.list(req.claims, req.query.status, { limit: req.query.limit, offset: req.query.offset }),
  )

  http.get(
    '/admin/designers/:id',
    {
      preHandler: adminOnly,
      schema: { tags, summary: 'Any designer, with email and approval state', security: bearer, params: idParams, response: { 200: ownProfileSchema, ...commonErrors } },
    },
    async (req) => service.get(req.claims, req.params.id),
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
        security: bearer,
        params: idParams,
        response: {
          200: z.object({ designer: ownProfileSchema, embeddingRefreshed: z.boolean() }),
          ...commonErrors,
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
        security: bearer,
        params: idParams,
        body: z.object({ reason: z.string().trim().min(1).max(1000) }).strict(),
        response: { 200: ownProfileSchema, ...commonErrors },
      },
    },
    async (req) => service.reject(req.claims, req.params.id, req.body.reason, req.id),
  )
}
