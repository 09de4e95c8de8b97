// Conversations, participants, messages and read state for any app whose schema holds tables
// shaped like Bandsy's (see MessagingOptions.schema). Every query runs in the caller's
// transaction, normally a withUser one, so the app's row-level security decides who may read and
// who may post; this module only shapes the queries and keeps ordering and read state consistent.
import { randomUUID } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import type { Tx } from '../db/database'
import { AppError } from '../http/errors'
import type { Platform } from '../platform'
import { cursorAt, decodeCursor, encodeCursor } from './cursor'
import type { ConversationSummary, Message, Messaging, MessagingOptions, MessagePage, Participant } from './types'

const IDENTIFIER = /^[a-z][a-z0-9_]*$/
const CAMEL_IDENTIFIER = /^[a-z][a-zA-Z0-9]*$/

export const MESSAGE_CREATED = 'message.created'

type MessageRow = Omit<Message, 'createdAt'> & { createdAt: Date | string; cursorAt: string }

export function createMessaging(platform: Pick<Platform, 'notify' | 'clock'>, opts: MessagingOptions): Messaging {
  const { app, schema } = opts
  if (!IDENTIFIER.test(schema)) throw new Error(`Invalid schema name ${schema}`)
  if (!IDENTIFIER.test(app)) throw new Error(`Invalid app name ${app}`)
  for (const c of opts.conversationColumns ?? []) if (!CAMEL_IDENTIFIER.test(c)) throw new Error(`Invalid conversation column ${c}`)

  const C = sql.table(`${schema}.conversations`)
  const P = sql.table(`${schema}.conversation_participants`)
  const M = sql.table(`${schema}.messages`)
  const extraColumns = (opts.conversationColumns ?? []).map(
    (c) => sql`, ${sql.ref(`c.${c.replace(/[A-Z]/g, (l) => `_${l.toLowerCase()}`)}`)} as ${sql.id(c)}`,
  )

  const messageColumns = sql`m.id, m.conversation_id as "conversationId", m.sender_id as "senderId", m.type::text as type,
    m.content, m.file_url as "fileUrl", m.metadata, coalesce(m.is_read, false) as "isRead", m.created_at as "createdAt",
    ${sql.raw(cursorAt('m.created_at'))} as "cursorAt"`

  const toMessage = (r: MessageRow): Message => ({
    id: r.id,
    conversationId: r.conversationId,
    senderId: r.senderId,
    type: r.type,
    content: r.content ?? null,
    fileUrl: r.fileUrl ?? null,
    metadata: r.metadata ?? null,
    isRead: !!r.isRead,
    createdAt: new Date(r.createdAt),
  })
  const cursorOf = (r: { cursorAt: string; id: string }) => encodeCursor({ at: r.cursorAt, id: r.id })

  async function summaries(
    tx: Tx,
    viewerId: string,
    q: { id?: string; after?: { at: string; id: string }; limit: number },
  ): Promise<(ConversationSummary & { cursorAt: string })[]> {
    const activity = sql`coalesce(c.updated_at, c.created_at)`
    const filters: RawBuilder<unknown>[] = []
    if (q.id) filters.push(sql`and c.id = ${q.id}`)
    if (q.after) filters.push(sql`and (${activity}, c.id) < (${q.after.at}::timestamptz, ${q.after.id}::uuid)`)
    const { rows } = await sql<Record<string, unknown>>`
      select c.id, coalesce(c.is_group_chat, false) as "isGroupChat", c.created_at as "createdAt",
             ${activity} as "updatedAt", ${sql.raw(cursorAt('coalesce(c.updated_at, c.created_at)'))} as "cursorAt"
             ${sql.join(extraColumns, sql``)},
             (select json_agg(json_build_object('userId', p.user_id, 'joinedAt', p.joined_at, 'lastReadAt', p.last_read_at)
                              order by p.joined_at, p.user_id)
                from ${P} p where p.conversation_id = c.id) as participants,
             last.message as "lastMessage",
             (select count(*)::int from ${M} m
               where m.conversation_id = c.id and m.sender_id <> me.user_id
                 and (me.last_read_at is null or m.created_at > me.last_read_at)) as "unreadCount"
        from ${P} me
        join ${C} c on c.id = me.conversation_id
        left join lateral (
          select json_build_object('id', m.id, 'conversationId', m.conversation_id, 'senderId', m.sender_id,
                   'type', m.type, 'content', m.content, 'fileUrl', m.file_url, 'metadata', m.metadata,
                   'isRead', coalesce(m.is_read, false), 'createdAt', m.created_at) as message
            from ${M} m where m.conversation_id = c.id
           order by m.created_at desc, m.id desc limit 1
        ) last on true
       where me.user_id = ${viewerId} ${sql.join(filters, sql` `)}
       order by ${activity} desc, c.id desc
       limit ${q.limit}`.execute(tx)
    return rows.map((r) => {
      const extra: Record<string, unknown> = {}
      for (const c of opts.conversationColumns ?? []) extra[c] = r[c] ?? null
      const participants = ((r.participants as Record<string, string | null>[] | null) ?? []).map(
        (p): Participant => ({
          userId: p.userId!,
          joinedAt: new Date(p.joinedAt!),
          lastReadAt: p.lastReadAt ? new Date(p.lastReadAt) : null,
        }),
      )
      const last = r.lastMessage as MessageRow | null
      return {
        id: r.id as string,
        isGroupChat: r.isGroupChat as boolean,
        createdAt: new Date(r.createdAt as Date),
        updatedAt: new Date(r.updatedAt as Date),
        cursorAt: r.cursorAt as string,
        participants,
        lastMessage: last ? toMessage(last) : null,
        unreadCount: Number(r.unreadCount),
        extra,
      }
    })
  }

  async function existsBeyond(tx: Tx, conversationId: string, at: string, id: string, direction: 'older' | 'newer') {
    const cmp = direction === 'older' ? sql`<` : sql`>`
    const { rows } = await sql<{ found: boolean }>`
      select exists (select 1 from ${M} m where m.conversation_id = ${conversationId}
                       and (m.created_at, m.id) ${cmp} (${at}::timestamptz, ${id}::uuid)) as found`.execute(tx)
    return rows[0].found
  }

  return {
    async listConversations(tx, userId, page) {
      const after = page.cursor ? decodeCursor(page.cursor, 'querystring.cursor') : undefined
      // One extra row tells whether another page follows.
      const rows = await summaries(tx, userId, { after, limit: page.limit + 1 })
      const shown = rows.slice(0, page.limit)
      return {
        conversations: shown.map(({ cursorAt: _, ...s }) => s),
        nextCursor: rows.length > page.limit ? cursorOf(shown[shown.length - 1]) : null,
      }
    },

    async getConversation(tx, id, viewerId) {
      const [row] = await summaries(tx, viewerId, { id, limit: 1 })
      if (!row) return undefined
      const { cursorAt: _, ...summary } = row
      return summary
    },

    async listMessages(tx, conversationId, page): Promise<MessagePage> {
      if (page.before && page.after)
        throw new AppError('validation_failed', 'querystring: give before or after, not both', { field: 'querystring.before' })
      const before = page.before ? decodeCursor(page.before, 'querystring.before') : undefined
      const after = page.after ? decodeCursor(page.after, 'querystring.after') : undefined
      const n = page.limit + 1
      let rows: MessageRow[]
      if (after) {
        rows = (
          await sql<MessageRow>`select ${messageColumns} from ${M} m
             where m.conversation_id = ${conversationId} and (m.created_at, m.id) > (${after.at}::timestamptz, ${after.id}::uuid)
             order by m.created_at, m.id limit ${n}`.execute(tx)
        ).rows.slice(0, page.limit)
      } else {
        const older = before ? sql`and (m.created_at, m.id) < (${before.at}::timestamptz, ${before.id}::uuid)` : sql``
        rows = (
          await sql<MessageRow>`select ${messageColumns} from ${M} m
             where m.conversation_id = ${conversationId} ${older}
             order by m.created_at desc, m.id desc limit ${n}`.execute(tx)
        ).rows
          .slice(0, page.limit)
          .reverse()
      }
      const first = rows[0]
      const last = rows[rows.length - 1]
      const boundary = last ? { at: last.cursorAt, id: last.id } : (after ?? before)
      return {
        messages: rows.map(toMessage),
        olderCursor: first && (await existsBeyond(tx, conversationId, first.cursorAt, first.id, 'older')) ? cursorOf(first) : null,
        newerCursor: last ? cursorOf(last) : page.after && after ? page.after : null,
        hasNewer: boundary ? await existsBeyond(tx, conversationId, boundary.at, boundary.id, 'newer') : false,
      }
    },

    async getMessage(tx, conversationId, messageId) {
      const { rows } = await sql<MessageRow>`select ${messageColumns} from ${M} m
         where m.conversation_id = ${conversationId} and m.id = ${messageId}`.execute(tx)
      return rows[0] ? toMessage(rows[0]) : undefined
    },

    async post(tx, input) {
      const id = input.id ?? randomUUID()
      // Posts to one conversation are serialised until commit, and each takes a time after the
      // one before it: so created_at order is commit order, and a reader polling with an `after`
      // cursor cannot miss a message that committed late with an earlier time.
      await sql`select pg_advisory_xact_lock(hashtextextended(${`messaging:${schema}:${input.conversationId}`}, 0))`.execute(tx)
      const now = platform.clock.now()
      const { rows } = await sql<MessageRow>`
        insert into ${M} as m (id, conversation_id, sender_id, type, content, file_url, metadata, created_at)
        values (${id}, ${input.conversationId}, ${input.senderId}, ${input.type}, ${input.content ?? null},
                ${input.fileUrl ?? null}, ${input.metadata ? JSON.stringify(input.metadata) : null}::json,
                greatest(${now}::timestamptz,
                         (select max(prev.created_at) + interval '1 microsecond' from ${M} prev
                           where prev.conversation_id = ${input.conversationId})))
        returning ${messageColumns}`.execute(tx)
      const message = toMessage(rows[0])
      const others = await sql<{ userId: string }>`select user_id as "userId" from ${P}
         where conversation_id = ${input.conversationId} and user_id <> ${input.senderId}`.execute(tx)
      for (const { userId } of others.rows)
        await platform.notify.publish(tx, {
          app,
          userId,
          type: MESSAGE_CREATED,
          data: { conversationId: input.conversationId, messageId: message.id },
        })
      return message
    },

    async markRead(tx, conversationId, userId, upTo) {
      // Never past the newest message: a later message must still count as unread.
      const { rows } = await sql<{ lastReadAt: Date | null; isGroupChat: boolean }>`
        with latest as (select max(created_at) as at from ${M} where conversation_id = ${conversationId})
        update ${P} p
           set last_read_at = greatest(p.last_read_at,
                 (select least(coalesce(${upTo ?? null}::timestamptz, latest.at), latest.at) from latest))
         where p.conversation_id = ${conversationId} and p.user_id = ${userId}
        returning p.last_read_at as "lastReadAt",
                  (select coalesce(c.is_group_chat, false) from ${C} c where c.id = p.conversation_id) as "isGroupChat"`.execute(tx)
      const row = rows[0]
      if (!row) return undefined
      // messages.is_read is one flag for everyone: it only means something with one reader.
      if (row.lastReadAt && !row.isGroupChat)
        await sql`update ${M} set is_read = true
                   where conversation_id = ${conversationId} and sender_id <> ${userId}
                     and created_at <= ${row.lastReadAt}::timestamptz and is_read is not true`.execute(tx)
      const { rows: counted } = await sql<{ n: number }>`
        select count(*)::int as n from ${M} m, ${P} p
         where p.conversation_id = ${conversationId} and p.user_id = ${userId}
           and m.conversation_id = p.conversation_id and m.sender_id <> p.user_id
           and (p.last_read_at is null or m.created_at > p.last_read_at)`.execute(tx)
      return { lastReadAt: row.lastReadAt ? new Date(row.lastReadAt) : null, unreadCount: Number(counted[0].n) }
    },

    async unreadCounts(tx, userId) {
      const { rows } = await sql<{ conversationId: string; unreadCount: number }>`
        select me.conversation_id as "conversationId", count(*)::int as "unreadCount"
          from ${P} me
          join ${M} m on m.conversation_id = me.conversation_id and m.sender_id <> me.user_id
                     and (me.last_read_at is null or m.created_at > me.last_read_at)
         where me.user_id = ${userId}
         group by me.conversation_id
         order by me.conversation_id`.execute(tx)
      const conversations = rows.map((r) => ({ conversationId: r.conversationId, unreadCount: Number(r.unreadCount) }))
      return { total: conversations.reduce((s, c) => s + c.unreadCount, 0), conversations }
    },
  }
}

export type { Messaging, MessagingOptions } from './types'
