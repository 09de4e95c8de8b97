// Notifications and realtime. A notification is a row in <app>.notifications plus a NOTIFY, both
// in the caller's transaction, so it is delivered exactly when (and only if) the work commits.
// NOTIFY reaches every API instance on the database, so no broker is needed for fan-out between
// instances; within one, a single LISTEN is shared by every subscriber and fanned out here.
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { Tx } from '../db/database'
import type { DB } from '../db/schema.generated'
import type { NotificationInput, Notifier, RealtimeEvent } from './types'

// The app names the table at run time; every app's copy has the notification columns.
type NotificationsTable = Extract<keyof DB, `${string}.notifications`>

export const REALTIME_CHANNEL = 'matchbase_realtime'
/** Postgres refuses NOTIFY payloads of 8000 bytes or more; stay clear of it. */
export const MAX_PAYLOAD_BYTES = 7_500

const APP_NAME = /^[a-z][a-z0-9_]*$/

export interface RealtimeNotifier extends Notifier {
  /** Live subscriptions, for one user or in all; tests use it to see streams clean up. */
  subscriberCount(app?: string, userId?: string): number
}

const keyOf = (app: string, userId: string) => `${app}\u0000${userId}`

export function createNotifier(platform: Platform): RealtimeNotifier {
  const subscribers = new Map<string, Set<(e: RealtimeEvent) => void>>()
  let listening: Promise<unknown> | undefined

  function deliver(payload: string) {
    let event: RealtimeEvent
    try {
      event = JSON.parse(payload)
    } catch {
      platform.log.warn({ payload: payload.slice(0, 200) }, 'unreadable realtime payload')
      return
    }
    for (const fn of subscribers.get(keyOf(event.app, event.userId)) ?? []) {
      try {
        fn(event)
      } catch (err) {
        platform.log.warn({ err }, 'realtime subscriber failed')
      }
    }
  }

  async function startListening() {
    const db = platform.db
    if (db.driver !== 'pglite') return db.listen(REALTIME_CHANNEL, deliver)
    // PGlite has one session: a LISTEN issued while someone's transaction is open would join
    // that transaction (and vanish with its rollback). Holding the only pooled connection
    // makes the LISTEN wait for a moment between transactions.
    const client = await db.pool.connect()
    try {
      return await db.listen(REALTIME_CHANNEL, deliver)
    } finally {
      client.release()
    }
  }

  async function publish(tx: Tx, event: RealtimeEvent) {
    const payload = JSON.stringify({ app: event.app, userId: event.userId, type: event.type, data: event.data ?? {} })
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
      throw new Error(`Realtime payload of ${Buffer.byteLength(payload)} bytes is too large; send ids and let the client fetch`)
    await sql`select pg_notify(${REALTIME_CHANNEL}, ${payload})`.execute(tx)
  }

  return {
    async notify(tx, n: NotificationInput) {
      if (!APP_NAME.test(n.app)) throw new Error(`Invalid app name ${n.app}`)
      // A user's action often notifies someone else (a designer's reply tells the client), and
      // users may not insert notifications: platform.send_notification (platform 0002) runs as
      // its owner, so the request keeps its role for the whole transaction.
      const { rows } = await sql<{ id: string }>`
        select platform.send_notification(${n.app}, ${n.userId}, ${n.type}, ${n.title}, ${n.body ?? null},
          ${JSON.stringify(n.data ?? {})}::jsonb, ${platform.clock.now()}) as id`.execute(tx)
      const id = rows[0].id
      await publish(tx, { app: n.app, userId: n.userId, type: 'notification', data: { id, type: n.type } })
      return id
    },

    publish,

    async subscribe(app, userId, onEvent) {
      const key = keyOf(app, userId)
      let set = subscribers.get(key)
      if (!set) subscribers.set(key, (set = new Set()))
      set.add(onEvent)
      try {
        // One LISTEN for the process, kept for its life: cheaper than re-issuing it per stream.
        listening ??= startListening().catch((err) => {
          listening = undefined
          throw err
        })
        await listening
      } catch (err) {
        set.delete(onEvent)
        throw err
      }
      return async () => {
        set!.delete(onEvent)
        if (set!.size === 0 && subscribers.get(key) === set) subscribers.delete(key)
      }
    },

    subscriberCount(app, userId) {
      if (app && userId) return subscribers.get(keyOf(app, userId))?.size ?? 0
      let n = 0
      for (const s of subscribers.values()) n += s.size
      return n
    },
  }
}
