// GET /notifications, POST /notifications/:id/read, POST /notifications/read-all, and
// GET /stream: the user's realtime events as server-sent events. Open to every role.
import { z } from 'zod'
import { type AppContext, errorSchema, eventStreams, HEARTBEAT_MS, streamRules } from '../../../platform'
import { listNotifications, markAllRead, markRead } from './service'

const TAGS = ['notifications']
const ROLES = ['client', 'designer', 'admin'] as const

export const notificationSchema = z
  .object({
    id: z.uuid(),
    type: z.string().describe('e.g. project_request.received'),
    title: z.string(),
    body: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).describe('Ids of the things the notification is about'),
    readAt: z.date().nullable(),
    createdAt: z.date(),
  })
  .meta({ id: 'Notification' })

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true')

export async function notificationRoutes({ app, http, platform, guard }: AppContext) {
  const anyone = guard(ROLES)
  const streams = eventStreams(http, platform)

  http.get(
    '/notifications',
    {
      preHandler: anyone,
      schema: {
        tags: TAGS,
        summary: 'Your notifications, newest first, with your unread count',
        description: 'Pages with `limit` and `cursor` (the `nextCursor` of the previous page).',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.uuid().optional().describe('nextCursor from the previous page'),
          unread: boolString.optional().describe('true: only unread notifications'),
        }),
        response: {
          200: z.object({
            notifications: z.array(notificationSchema),
            nextCursor: z.uuid().nullable(),
            unreadCount: z.number().int(),
          }),
        },
      },
    },
    async (req) =>
      listNotifications(platform, req.claims, { limit: req.query.limit, cursor: req.query.cursor, unreadOnly: req.query.unread ?? false }),
  )

  http.post(
    '/notifications/:id/read',
    {
      preHandler: anyone,
      schema: {
        tags: TAGS,
        summary: 'Mark one notification read',
        description: 'Marking it again keeps the first read time.',
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({ notification: notificationSchema }),
          404: errorSchema.describe('No such notification of yours'),
        },
      },
    },
    async (req) => ({ notification: await markRead(platform, req.claims, req.params.id) }),
  )

  http.post(
    '/notifications/read-all',
    {
      preHandler: anyone,
      schema: {
        tags: TAGS,
        summary: 'Mark all your notifications read',
        response: {
          200: z.object({ updated: z.number().int().describe('How many were unread') }),
        },
      },
    },
    async (req) => markAllRead(platform, req.claims),
  )

  http.get(
    '/stream',
    {
      preHandler: guard(ROLES, { queryToken: true }),
      schema: {
        tags: TAGS,
        summary: 'Your realtime events (server-sent events)',
        description:
          'A text/event-stream that stays open. Each event has a name (e.g. `notification`) and JSON data with ids ' +
          '(e.g. `{ "id": "<notification id>", "type": "project_request.received" }`); fetch details with the REST routes. ' +
          `A comment line is sent every ${HEARTBEAT_MS / 1000} s. A browser EventSource cannot send headers, so this ` +
          'route also takes the access token as `?access_token=`. ' +
          streamRules(platform),
        querystring: z.object({ access_token: z.string().optional().describe('Access token, for EventSource') }),
        response: {
          200: z.string().describe('text/event-stream'),
          400: errorSchema.describe('A malformed query, e.g. access_token given twice'),
          429: errorSchema.describe('Too many event streams of yours are open'),
        },
      },
    },
    async (req, reply) => streams.open(req, reply, { app, userId: req.claims.sub }),
  )
}
