import type { Tx } from '../db/database'

export interface MessagingOptions {
  /** The realtime app name events are published under (platform.notify). */
  app: string
  /**
   * Postgres schema holding conversations (id, is_group_chat, created_at, updated_at),
   * conversation_participants (conversation_id, user_id, joined_at, last_read_at) and messages
   * (id, conversation_id, sender_id, type, content, file_url, metadata json, is_read, created_at).
   * The schema keeps conversations.updated_at at its newest message (a trigger: users may not
   * update conversations), and its RLS policies decide who reads and who posts.
   */
  schema: string
  /** Further columns of conversations to return with each, camelCase (e.g. matchId, groupId). */
  conversationColumns?: readonly string[]
}

export interface Message {
  id: string
  conversationId: string
  senderId: string
  type: string
  content: string | null
  fileUrl: string | null
  metadata: Record<string, unknown> | null
  isRead: boolean
  createdAt: Date
}

export interface Participant {
  userId: string
  joinedAt: Date
  lastReadAt: Date | null
}

export interface ConversationSummary {
  id: string
  isGroupChat: boolean
  createdAt: Date
  /** Newest activity: the last message, or the creation. */
  updatedAt: Date
  participants: Participant[]
  lastMessage: Message | null
  /** Messages after the viewer's last_read_at not sent by the viewer. */
  unreadCount: number
  /** The conversationColumns asked for. */
  extra: Record<string, unknown>
}

export interface ConversationPage {
  conversations: ConversationSummary[]
  nextCursor: string | null
}

export interface MessagePage {
  /** Chronological. */
  messages: Message[]
  /** Pass as `before` for older messages; null when there are none. */
  olderCursor: string | null
  /** Pass as `after` for newer messages (also to poll); null only for an empty conversation. */
  newerCursor: string | null
  /** Whether messages newer than this page exist now. */
  hasNewer: boolean
}

export interface PostInput {
  conversationId: string
  senderId: string
  type: string
  content?: string | null
  fileUrl?: string | null
  metadata?: Record<string, unknown> | null
  /** Chosen by the caller when the id is needed first (e.g. in a file's key); else generated. */
  id?: string
}

export interface UnreadCounts {
  total: number
  /** Only conversations with unread messages. */
  conversations: { conversationId: string; unreadCount: number }[]
}

export interface Messaging {
  listConversations(tx: Tx, userId: string, page: { limit: number; cursor?: string }): Promise<ConversationPage>
  /** undefined when the conversation does not exist or the caller's RLS hides it. */
  getConversation(tx: Tx, id: string, viewerId: string): Promise<ConversationSummary | undefined>
  listMessages(tx: Tx, conversationId: string, page: { limit: number; before?: string; after?: string }): Promise<MessagePage>
  getMessage(tx: Tx, conversationId: string, messageId: string): Promise<Message | undefined>
  /**
   * Inserts the message (RLS decides whether the sender may post: 42501 otherwise) and publishes
   * 'message.created' to every other participant, delivered when tx commits. created_at strictly
   * increases within a conversation, in commit order, so an `after` cursor never skips a message.
   */
  post(tx: Tx, input: PostInput): Promise<Message>
  /**
   * Moves the user's last_read_at forward to upTo (default: the newest message), never back and
   * never past the newest message (null while the conversation is empty); in 1:1 chats also sets is_read on the other's messages.
   * undefined when the user is not a participant the caller may update.
   */
  markRead(
    tx: Tx,
    conversationId: string,
    userId: string,
    upTo?: Date,
  ): Promise<{ lastReadAt: Date | null; unreadCount: number } | undefined>
  unreadCounts(tx: Tx, userId: string): Promise<UnreadCounts>
}
