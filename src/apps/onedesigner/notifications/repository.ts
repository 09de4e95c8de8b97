// SQL for a user's notifications. Every query runs inside withUser, so row-level security limits
// it to the caller's rows; the explicit user filter is for the (user_id, created_at) index.
import { sql } from 'kysely'
import type { JsonObject, Tx } from '../../../platform'

const TABLE = 'onedesigner.notifications'

const COLUMNS = ['id', 'type', 'title', 'body', 'data', 'readAt', 'createdAt'] as const
// data is jsonb that the notifier only ever fills with an object; the generated type cannot say so.
type Narrowed = { data: JsonObject }
export type NotificationRow = Awaited<ReturnType<typeof list>>[number]

export interface ListQuery {
  userId: string
  limit: number
  unreadOnly: boolean
  /** Id of the last notification of the previous page. */
  afterId?: string
}

/** Newest first; ties on created_at are broken by id so pages never overlap. */
export async function list(tx: Tx, q: ListQuery) {
  let query = tx.selectFrom(TABLE).select(COLUMNS).$narrowType<Narrowed>().where('userId', '=', q.userId)
  if (q.unreadOnly) query = query.where('readAt', 'is', null)
  // Compared in SQL: created_at has microseconds, which a JS Date would round away.
  if (q.afterId)
    query = query.where(
      sql<boolean>`(created_at, id) < (select c.created_at, c.id from onedesigner.notifications c where c.id = ${q.afterId})`,
    )
  return query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(q.limit).execute()
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
  return tx
    .updateTable(TABLE)
    .set({ readAt: sql`coalesce(read_at, ${now})` })
    .where('userId', '=', userId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

export async function markAllRead(tx: Tx, userId: string, now: Date): Promise<number> {
  const res = await tx.updateTable(TABLE).set({ readAt: now }).where('userId', '=', userId).where('readAt', 'is', null).executeTakeFirst()
  return Number(res.numUpdatedRows)
}
