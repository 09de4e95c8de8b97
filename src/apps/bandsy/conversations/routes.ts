// Conversations of matches and groups, their messages (text as JSON, audio and images as
// multipart/form-data), read state, unread counts, message files, and the realtime stream.
import multipart from '@fastify/multipart'
import { z } from 'zod'
import {
  type AppContext,
  type Http,
  errorSchema,
  idParams,
  eventStreams,
  streamRules,
  HEARTBEAT_MS,
  MAX_CURSOR_LENGTH,
  BandsyMessageTypeValues,
} from '../../../platform'
import { createConversationService } from './service'
import { MULTIPART_LIMITS, parseMultipartMessage } from './uploads'

const tags = ['conversations']
const cursor = z.string().min(1).max(MAX_CURSOR_LENGTH)

const messageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    senderId: z.uuid(),
    type: z.enum(BandsyMessageTypeValues),
    content: z.string().nullable(),
    fileUrl: z.string().nullable().describe('For audio and image: GET it with your token (participants only)'),
    metadata: z.record(z.string(), z.unknown()).nullable().describe('For files: contentType, size, fileName'),
    isRead: z.boolean().describe('1:1 chats: the other musician has read it. Groups keep read state per participant'),
    createdAt: z.date(),
  })
  .meta({ id: 'BandsyMessage' })

const conversationSchema = z
  .object({
    id: z.uuid(),
    matchId: z.uuid().nullable(),
    groupId: z.uuid().nullable(),
    isGroupChat: z.boolean(),
    createdAt: z.date(),
    updatedAt: z.date().describe('Newest activity'),
    participants: z.array(
      z.object({
        userId: z.uuid(),
        username: z.string().nullable().describe('null for a deleted account'),
        displayName: z.string().nullable(),
        profileImageUrl: z.string().nullable(),
        joinedAt: z.date(),
        lastReadAt: z.date().nullable(),
      }),
    ),
    lastMessage: messageSchema.nullable(),
    unreadCount: z.number().int().describe('Messages after your last read, not sent by you'),
  })
  .meta({ id: 'BandsyConversation' })

const conversationParams = idParams
const fileParams = z.object({ id: z.uuid(), messageId: z.uuid() })

const postBody = z
  .object({
    type: z.enum(BandsyMessageTypeValues),
    content: z.string().max(5000).optional().describe('Required for text (not blank); an optional caption for media'),
  })
  .refine((b) => b.type !== 'text' || !!b.content?.trim(), { path: ['content'], message: 'a text message needs content that is not blank' })

export async function conversationRoutes({ app, http, platform, guard }: AppContext) {
  const musician = guard(['musician'])
  const service = createConversationService(platform)
  const streams = eventStreams(http, platform)

  // Multipart only for the routes of this plugin, with limits checked while reading.
  await http.register(async (scope: Http) => {
    await scope.register(multipart, { limits: MULTIPART_LIMITS, throwFileSizeLimit: true })

    scope.post(
      '/conversations/:id/messages',
      {
        preHandler: musician,
        config: { limit: { name: 'messages', points: 60, perSeconds: 60 } },
        preValidation: parseMultipartMessage,
        schema: {
          tags,
          summary: 'Send a message',
          description:
            'Text as JSON `{ "type": "text", "content": "..." }` (1-5000 characters, not blank). Audio and images as ' +
            'multipart/form-data with fields `type` (`audio` or `image`), optional `content`, and one part `file`: images ' +
            'jpeg, png, webp, gif up to 10 MB; audio mpeg, mp4, aac, ogg, wav, webm, flac up to 25 MB, checked by declared ' +
            'type and by content. Only the two musicians of an active match, or current members of an active group, may post.',
          consumes: ['application/json', 'multipart/form-data'],
          params: conversationParams,
          body: postBody,
          response: {
            201: z.object({ message: messageSchema }),
            403: errorSchema.describe('The match has ended or the group is not active'),
            404: errorSchema.describe('No conversation of yours with this id'),
            413: errorSchema.describe('The file is too large, or would take you past your storage quota (quota_exceeded)'),
            415: errorSchema.describe('Not an accepted image or audio type, or the contents are not what was declared'),
          },
        },
      },
      async (req, reply) => {
        const message = await service.post(req.claims, req.params.id, { ...req.body, file: req.upload })
        return reply.code(201).send({ message })
      },
    )
  })

  http.get(
    '/conversations',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: 'Your conversations, newest activity first',
        description: 'Each with its participants, last message and your unread count. Pages with `limit` and `cursor` (the `nextCursor`).',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: cursor.optional() }),
        response: { 200: z.object({ conversations: z.array(conversationSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => service.list(req.claims, { limit: req.query.limit, cursor: req.query.cursor }),
  )

  http.get(
    '/conversations/:id',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: 'One of your conversations',
        params: conversationParams,
        response: { 200: z.object({ conversation: conversationSchema }), 404: errorSchema },
      },
    },
    async (req) => ({ conversation: await service.get(req.claims, req.params.id) }),
  )

  http.get(
    '/conversations/:id/messages',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: 'Messages, oldest first',
        description:
          'Without a cursor: the newest `limit` messages. `before=<olderCursor>` pages back; `after=<newerCursor>` fetches ' +
          'newer ones (also to poll). Cursors are positions, so pages neither repeat nor skip while messages arrive.',
        params: conversationParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(50),
          before: cursor.optional(),
          after: cursor.optional(),
        }),
        response: {
          200: z.object({
            messages: z.array(messageSchema),
            olderCursor: z.string().nullable(),
            newerCursor: z.string().nullable(),
            hasNewer: z.boolean(),
          }),
          404: errorSchema,
        },
      },
    },
    async (req) => service.messages(req.claims, req.params.id, req.query),
  )

  http.post(
    '/conversations/:id/read',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: 'Mark messages read',
        description: 'Up to `upTo` (default: the newest message). Your read position never moves back.',
        params: conversationParams,
        body: z.object({ upTo: z.coerce.date().optional() }).optional(),
        response: { 200: z.object({ lastReadAt: z.date().nullable(), unreadCount: z.number().int() }), 404: errorSchema },
      },
    },
    async (req) => service.markRead(req.claims, req.params.id, req.body?.upTo),
  )

  http.get(
    '/unread',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: 'Your unread message counts',
        response: {
          200: z.object({
            total: z.number().int(),
            conversations: z
              .array(z.object({ conversationId: z.uuid(), unreadCount: z.number().int() }))
              .describe('Only those with unread messages'),
          }),
        },
      },
    },
    async (req) => service.unread(req.claims),
  )

  http.get(
    '/conversations/:id/files/:messageId',
    {
      preHandler: musician,
      schema: {
        tags,
        summary: "A message's audio or image file",
        params: fileParams,
        response: { 200: z.string().describe('The file, with its content type'), 404: errorSchema },
      },
    },
    async (req, reply) => {
      const file = await service.file(req.claims, req.params.id, req.params.messageId)
      return reply
        .type(file.contentType)
        .header('content-length', String(file.size))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=3600')
        .send(file.body as unknown as string)
    },
  )

  http.get(
    '/stream',
    {
      preHandler: guard(['musician'], { queryToken: true }),
      schema: {
        tags,
        summary: 'Your realtime events (server-sent events)',
        description:
          'A text/event-stream that stays open. `message.created` carries `{ conversationId, messageId }`; fetch the message ' +
          `with the REST routes. A comment line is sent every ${HEARTBEAT_MS / 1000} s. EventSource cannot send headers, so ` +
          'this route also takes the access token as `?access_token=`. ' +
          streamRules(platform),
        querystring: z.object({ access_token: z.string().optional().describe('Access token, for EventSource') }),
        response: {
          200: z.string().describe('text/event-stream'),
          429: errorSchema.describe('Too many event streams of yours are open'),
        },
      },
    },
    async (req, reply) => streams.open(req, reply, { app, userId: req.claims.sub }),
  )
}
