// Bandsy's conversations on the platform's messaging. Seed rules: "Only matched users or group
// members can message" (the insert policy messages_post, via bandsy.can_post: this service only
// words the refusal), "Text messages require content, media messages require fileUrl" (CHECKs in
// 0001; media arrive as files stored here), "Messages are ordered chronologically" and "Read
// status is per-user in group conversations" (platform messaging).
import { randomUUID } from 'node:crypto'
import {
  withUser,
  type Claims,
  AppError,
  forbidden,
  notFound,
  type Platform,
  type Tx,
  createMessaging,
  type ConversationSummary,
  type Message,
  mediaKind,
  type MediaType,
} from '../../../platform'
import { assertRoomFor } from '../storage-quota'
import * as repo from './repository'
import { APP } from '../app-name'

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024

export interface Upload {
  body: Buffer
  contentType: MediaType
  fileName: string | null
}

export interface NewMessage {
  type: 'text' | 'audio' | 'image'
  content?: string | null
  file?: Upload
}

/** Bandsy's messages table holds only these types (the enum bandsy.message_type). */
export type BandsyMessage = Omit<Message, 'type'> & { type: NewMessage['type'] }
const typed = (m: Message) => m as BandsyMessage

export const fileKey = (conversationId: string, messageId: string) => `bandsy/messages/${conversationId}/${messageId}`
export const filePath = (conversationId: string, messageId: string) => `/v1/bandsy/conversations/${conversationId}/files/${messageId}`

export type ConversationService = ReturnType<typeof createConversationService>

export function createConversationService(platform: Platform) {
  const messaging = createMessaging(platform, { app: APP, schema: APP, conversationColumns: ['matchId', 'groupId'] })
  const as = <T>(claims: Claims, fn: (tx: Tx) => Promise<T>) => withUser(platform.db.kysely, claims, fn)

  async function present(tx: Tx, conversations: ConversationSummary[]) {
    const people = await repo.profiles(
      tx,
      conversations.flatMap((c) => c.participants.map((p) => p.userId)),
    )
    return conversations.map(({ extra, participants, lastMessage, ...c }) => ({
      ...c,
      lastMessage: lastMessage && typed(lastMessage),
      matchId: (extra.matchId as string | null) ?? null,
      groupId: (extra.groupId as string | null) ?? null,
      participants: participants.map((p) => {
        const who = people.get(p.userId)
        return {
          ...p,
          username: who?.username ?? null,
          displayName: who?.displayName ?? null,
          profileImageUrl: who?.profileImageUrl ?? null,
        }
      }),
    }))
  }

  /** Throws 404 unless the caller sees the conversation (RLS shows participants only). */
  async function mustSee(tx: Tx, id: string) {
    if (!(await repo.isVisible(tx, id))) throw notFound('Conversation', { id })
  }

  async function refuseUnlessCanPost(tx: Tx, id: string) {
    const state = await repo.postingState(tx, id)
    if (!state) throw notFound('Conversation', { id })
    if (state.canPost) return
    if (state.matchStatus && state.matchStatus !== 'active') throw forbidden('This match has ended')
    if (state.groupActive === false) throw forbidden('This group is no longer active')
    throw forbidden('You cannot post in this conversation')
  }

  function checkSize(file: Upload) {
    const max = mediaKind(file.contentType) === 'image' ? MAX_IMAGE_BYTES : MAX_AUDIO_BYTES
    if (file.body.length > max)
      throw new AppError('payload_too_large', `${mediaKind(file.contentType)} files may be at most ${max / 1024 / 1024} MB`, {
        field: 'file',
        maxBytes: max,
      })
  }

  async function storeAndPost(tx: Tx, claims: Claims, conversationId: string, input: NewMessage): Promise<BandsyMessage> {
    if (input.type === 'text') {
      if (input.file) throw new AppError('validation_failed', 'file: a text message carries no file', { field: 'file' })
      return typed(await messaging.post(tx, { conversationId, senderId: claims.sub, type: 'text', content: input.content }))
    }
    const file = input.file
    if (!file)
      throw new AppError('validation_failed', `file: ${input.type} messages need a file (send multipart/form-data with one file part)`, {
        field: 'file',
      })
    if (mediaKind(file.contentType) !== input.type)
      throw new AppError('unsupported_media_type', `file: a ${file.contentType} file cannot be sent as a ${input.type} message`, {
        field: 'file',
      })
    checkSize(file)
    await assertRoomFor(platform, tx, claims.sub, file.body.length)
    const id = randomUUID()
    const key = fileKey(conversationId, id)
    const stored = await platform.storage.put(key, file.body, { contentType: file.contentType })
    try {
      const message = await messaging.post(tx, {
        id,
        conversationId,
        senderId: claims.sub,
        type: input.type,
        content: input.content?.trim() ? input.content : null,
        fileUrl: filePath(conversationId, id),
        metadata: { contentType: file.contentType, size: stored.size, fileName: file.fileName },
      })
      return typed(message)
    } catch (err) {
      await platform.storage.delete(key).catch((e) => platform.log.warn({ err: e, key }, 'orphan message file not deleted'))
      throw err
    }
  }

  return {
    list: (claims: Claims, page: { limit: number; cursor?: string }) =>
      as(claims, async (tx) => {
        const p = await messaging.listConversations(tx, claims.sub, page)
        return { conversations: await present(tx, p.conversations), nextCursor: p.nextCursor }
      }),

    get: (claims: Claims, id: string) =>
      as(claims, async (tx) => {
        const c = await messaging.getConversation(tx, id, claims.sub)
        if (!c) throw notFound('Conversation', { id })
        return (await present(tx, [c]))[0]
      }),

    messages: (claims: Claims, id: string, page: { limit: number; before?: string; after?: string }) =>
      as(claims, async (tx) => {
        await mustSee(tx, id)
        const p = await messaging.listMessages(tx, id, page)
        return { ...p, messages: p.messages.map(typed) }
      }),

    post: (claims: Claims, id: string, input: NewMessage) =>
      as(claims, async (tx) => {
        await refuseUnlessCanPost(tx, id)
        return storeAndPost(tx, claims, id, input)
      }),

    markRead: (claims: Claims, id: string, upTo?: Date) =>
      as(claims, async (tx) => {
        const r = await messaging.markRead(tx, id, claims.sub, upTo)
        if (!r) throw notFound('Conversation', { id })
        return r
      }),

    unread: (claims: Claims) => as(claims, (tx) => messaging.unreadCounts(tx, claims.sub)),

    /** The stored file of a media message, for participants only. */
    file: async (claims: Claims, id: string, messageId: string) => {
      const message = await as(claims, (tx) => messaging.getMessage(tx, id, messageId))
      if (!message || message.type === 'text') throw notFound('File', { conversationId: id, messageId })
      const stored = await platform.storage.get(fileKey(id, messageId))
      if (!stored) throw notFound('File', { conversationId: id, messageId })
      return stored
    },
  }
}
