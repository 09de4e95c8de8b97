// A user's notifications: listing with a keyset cursor, marking read, and the realtime stream's
// subscription. Reads and writes run under the caller's row-level security.
import { withUser, withUserRead, type Claims, AppError, notFound, type Platform } from '../../../platform'
import * as repo from './repository'

export interface NotificationPage {
  notifications: repo.NotificationRow[]
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
  unreadCount: number
}

export async function listNotifications(
  platform: Platform,
  claims: Claims,
  q: { limit: number; cursor?: string; unreadOnly: boolean },
): Promise<NotificationPage> {
  // The replica when one is set: read-your-writes keeps what this user just marked read shown as
  // read; a notification another user's action just created may arrive a replica lag later.
  return withUserRead(platform, claims, async (tx) => {
    if (q.cursor && !(await repo.exists(tx, claims.sub, q.cursor)))
      throw new AppError('validation_failed', 'query.cursor: not one of your notifications; use the nextCursor of a previous page', {
        field: 'query.cursor',
      })
    // One extra row tells whether another page follows.
    const rows = await repo.list(tx, { userId: claims.sub, limit: q.limit + 1, unreadOnly: q.unreadOnly, afterId: q.cursor })
    const page = rows.slice(0, q.limit)
    return {
      notifications: page,
      nextCursor: rows.length > q.limit ? page[page.length - 1].id : null,
      unreadCount: await repo.unreadCount(tx, claims.sub),
    }
  })
}

export async function markRead(platform: Platform, claims: Claims, id: string): Promise<repo.NotificationRow> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const row = await repo.markRead(tx, claims.sub, id, now)
    if (!row) throw notFound('Notification', { id })
    return row
  })
}

export async function markAllRead(platform: Platform, claims: Claims): Promise<{ updated: number }> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => ({ updated: await repo.markAllRead(tx, claims.sub, now) }))
}
