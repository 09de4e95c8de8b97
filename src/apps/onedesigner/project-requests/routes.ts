// Project requests over HTTP: clients send them to designers they unlocked; designers read,
// accept or decline them within 72 hours.
import { z } from 'zod'
import { type AppContext, errorSchema, idParams } from '../../../platform'
import { createRequest, getRequest, listRequests, respondToRequest, type Decision } from './service'
import type { ProjectRequestRow } from './repository'

const TAGS = ['project requests']
const STATUSES = ['pending', 'accepted', 'declined', 'expired'] as const

// Postgres text cannot hold NUL; refusing it here keeps that a 400 rather than a database error.
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')

export const projectRequestSchema = z
  .object({
    id: z.uuid(),
    matchId: z.uuid(),
    clientId: z.uuid(),
    designerId: z.uuid(),
    message: z.string(),
    status: z.enum(STATUSES),
    briefSnapshot: z.record(z.string(), z.unknown()).describe('The brief as it was when the request was sent'),
    responseDeadline: z.date().describe('72 hours after sending; unanswered requests expire then'),
    viewedAt: z.date().nullable().describe("The designer's first view"),
    respondedAt: z.date().nullable(),
    responseMessage: z.string().nullable(),
    clientEmail: z.string().nullable().describe("The client's email, released to the designer on acceptance; null before"),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'ProjectRequest' })

const one = z.object({ request: projectRequestSchema })

const present = (r: ProjectRequestRow) => ({
  id: r.id,
  matchId: r.matchId,
  clientId: r.clientId,
  designerId: r.designerId,
  message: r.message,
  status: r.status,
  briefSnapshot: r.briefSnapshot,
  responseDeadline: r.responseDeadline,
  viewedAt: r.viewedAt,
  respondedAt: r.respondedAt,
  responseMessage: r.responseMessage,
  clientEmail: r.clientEmail,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
})

export async function projectRequestRoutes({ http, platform, guard }: AppContext) {
  const asClient = guard(['client'])
  const asDesigner = guard(['designer'])
  const asEither = guard(['client', 'designer'])

  http.post(
    '/project-requests',
    {
      preHandler: asClient,
      config: { limit: { name: 'project-requests', points: 30, perSeconds: 3600 } },
      schema: {
        tags: TAGS,
        summary: 'Send a project request to a designer you unlocked',
        description: 'The designer has 72 hours to answer. Only one request per designer can be pending at a time.',
        body: z.object({ matchId: z.uuid(), message: text(5000) }),
        response: {
          201: one,
          403: errorSchema.describe('The designer is not unlocked'),
          404: errorSchema,
          409: errorSchema.describe('A request to this designer is already pending, or the brief of the match was cancelled'),
        },
      },
    },
    async (req, reply) => {
      const created = await createRequest(platform, req.claims, req.body, req.id)
      reply.code(201)
      return { request: present(created) }
    },
  )

  http.get(
    '/project-requests',
    {
      preHandler: asEither,
      schema: {
        tags: TAGS,
        summary: 'Project requests you sent (client) or received (designer), newest first',
        querystring: z.object({
          status: z.enum(STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          offset: z.coerce.number().int().min(0).max(100_000).default(0),
        }),
        response: { 200: z.object({ requests: z.array(projectRequestSchema) }) },
      },
    },
    async (req) => ({ requests: (await listRequests(platform, req.claims, req.query)).map(present) }),
  )

  http.get(
    '/project-requests/:id',
    {
      preHandler: asEither,
      schema: {
        tags: TAGS,
        summary: 'One project request; the designer’s first read marks it viewed',
        params: idParams,
        response: { 200: one, 404: errorSchema },
      },
    },
    async (req) => ({ request: present(await getRequest(platform, req.claims, req.params.id)) }),
  )

  const respondRoute = (path: string, decision: Decision, summary: string) =>
    http.post(
      path,
      {
        preHandler: asDesigner,
        schema: {
          tags: TAGS,
          summary,
          description: 'Only the designer, only while the request is pending and within 72 hours of sending.',
          params: idParams,
          body: z
            .object({ message: text(2000).optional() })
            .nullish()
            .describe('Optional; may be omitted'),
          response: {
            200: one,
            404: errorSchema,
            409: errorSchema.describe('Already answered'),
            410: errorSchema.describe('The 72-hour window has closed; the request is now expired'),
          },
        },
      },
      async (req) => ({
        request: present(await respondToRequest(platform, req.claims, req.params.id, decision, req.body?.message, req.id)),
      }),
    )
  respondRoute('/project-requests/:id/accept', 'accepted', "Accept a project request; reveals the client's email")
  respondRoute('/project-requests/:id/decline', 'declined', 'Decline a project request')
}
