// SQL for a user's notifications. Every query runs inside withUser, so row-level security limits
// it to the caller's rows; the explicit user filter is for the (user_id, created_at) index.
import { sql } from 'kysely'
import type { Tx } from '../../../platform'

const TABLE = 'onedesigner.notifications'

export interface NotificationRow {
  id: string
  type: string
  title: string
  body: string | null
  data: Record<string, unknown>
  readAt: Date | null
  createdAt: Date
}

const COLUMNS = ['id', 'type', 'title', 'body', 'data', 'readAt', 'createdAt'] as const

export interface ListQuery {
  userId: string
  limit: number
  unreadOnly: boolean
  /** Id of the last notification of the previous page. */
  afterId?: string
}

/** Newest first; ties on created_at are broken by id so pages never overlap. */
export async function list(tx: Tx, q: ListQuery): Promise<NotificationRow[]> {
  let query = tx.selectFrom(TABLE).select(COLUMNS).where('userId', '=', q.userId)
  if (q.unreadOnly) query = query.where('readAt', 'is', null)
  // Compared in SQL: created_at has microseconds, which a JS Date would round away.
  if (q.afterId)
    query = query.where(
      sql<boolean>`(created_at, id) < (select c.created_at, c.id from onedesigner.notifications c where c.id = ${q.afterId})`,
    )
  return query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(q.limit).execute() as Promise<NotificationRow[]>
}

export async function exists(tx: Tx, userId: string, id: string): Promise<boolean> {
  const row = await tx.selectFrom(TABLE).select('id').where('userId', '=', userId).where('id', '=', id).executeTakeFirst()
  return !!row
}

export async function unreadCount(tx: Tx, userId: string): Promise<number> {
  const row = await tx
    .selectFrom(TABLE)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('userId', '=', userId)
    .where('readAt', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Marks one read; a notification read before keeps its first read time. */
export async function markRead(tx: Tx, userId: string, id: string, now: Date): Promise<NotificationRow | undefined> {
  const row = await tx
    .updateTable(TABLE)
    .set({ readAt: sql`coalesce(read_at, ${now})` })
    .where('userId', '=', userId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst()
  return row as NotificationRow | undefined
}

export async function markAllRead(tx: Tx, userId: string, now: Date): Promise<number> {
  const res = await tx.updateTable(TABLE).set({ readAt: now }).where('userId', '=', userId).where('readAt', 'is', null).executeTakeFirst()
  return Number(res.numUpdatedRows)
}
