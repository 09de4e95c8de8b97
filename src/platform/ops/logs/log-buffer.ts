// Access log and user activity rows are held in memory and written in batches, one multi-row
// insert per table every ACCESS_LOG_FLUSH_MS and on close, so a request never waits for its own
// log row. A failed write is logged and its batch dropped: losing a few seconds of access log is
// better than holding memory without bound or failing requests.
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../../config'
import type { Executor } from '../../db/database'

export interface AccessEntry {
  at: Date
  app: string | null
  method: string
  /** The route pattern, never the URL with its ids and query string. */
  route: string
  status: number
  durationMs: number
  userId: string | null
  requestId: string | null
}

export type ActivityAction = 'sign_in' | 'account_delete'

export interface ActivityEntry {
  at: Date
  app: string
  userId: string
  action: ActivityAction
  requestId: string | null
}

export interface FlushOutcome {
  access: number
  activity: number
  /** Entries refused since the last flush because the buffer was full. */
  dropped: number
}

export interface LogBuffer {
  /** False when ACCESS_LOG=off: access entries are ignored (user activity is still kept). */
  readonly accessEnabled: boolean
  access(entry: AccessEntry): void
  activity(entry: ActivityEntry): void
  /** Entries waiting to be written. */
  pending(): number
  /** Writes what is buffered now. Never throws: a failed batch is logged and dropped. */
  flush(): Promise<FlushOutcome>
  /** Stops the timer and writes what is left. */
  close(): Promise<void>
}

export function createLogBuffer(db: () => Executor, config: Config, log: Logger): LogBuffer {
  let accessRows: AccessEntry[] = []
  let activityRows: ActivityEntry[] = []
  let dropped = 0
  let inFlight: Promise<FlushOutcome> | undefined
  const max = config.ACCESS_LOG_BUFFER_MAX
  const full = () => accessRows.length + activityRows.length >= max

  async function write(access: AccessEntry[], activity: ActivityEntry[], refused: number): Promise<FlushOutcome> {
    if (refused) log.warn({ dropped: refused, max }, 'log buffer was full: entries dropped')
    try {
      if (access.length)
        await sql`
          insert into platform.access_log (at, app, method, route, status, duration_ms, user_id, request_id)
          select * from unnest(
            ${access.map((e) => e.at.toISOString())}::timestamptz[], ${access.map((e) => e.app)}::text[],
            ${access.map((e) => e.method)}::text[], ${access.map((e) => e.route)}::text[],
            ${access.map((e) => e.status)}::smallint[], ${access.map((e) => e.durationMs)}::real[],
            ${access.map((e) => e.userId)}::uuid[], ${access.map((e) => e.requestId)}::text[])`.execute(db())
    } catch (err) {
      log.warn({ err, rows: access.length }, 'access log batch not written: dropped')
      access = []
    }
    try {
      if (activity.length)
        await sql`
          insert into platform.user_activity (at, app, user_id, action, request_id)
          select * from unnest(
            ${activity.map((e) => e.at.toISOString())}::timestamptz[], ${activity.map((e) => e.app)}::text[],
            ${activity.map((e) => e.userId)}::uuid[], ${activity.map((e) => e.action)}::text[],
            ${activity.map((e) => e.requestId)}::text[])`.execute(db())
    } catch (err) {
      log.warn({ err, rows: activity.length }, 'user activity batch not written: dropped')
      activity = []
    }
    return { access: access.length, activity: activity.length, dropped: refused }
  }

  async function flush(): Promise<FlushOutcome> {
    // One write at a time, in order; a flush asked for meanwhile writes what came after.
    if (inFlight) await inFlight.catch(() => undefined)
    const batch = { access: accessRows, activity: activityRows, dropped }
    accessRows = []
    activityRows = []
    dropped = 0
    if (!batch.access.length && !batch.activity.length && !batch.dropped) return { access: 0, activity: 0, dropped: 0 }
    inFlight = write(batch.access, batch.activity, batch.dropped)
    try {
      return await inFlight
    } finally {
      inFlight = undefined
    }
  }

  const timer = setInterval(() => void flush(), config.ACCESS_LOG_FLUSH_MS)
  timer.unref()

  return {
    accessEnabled: config.ACCESS_LOG === 'on',
    access(entry) {
      if (config.ACCESS_LOG !== 'on') return
      if (full()) dropped++
      else accessRows.push(entry)
    },
    activity(entry) {
      if (full()) dropped++
      else activityRows.push(entry)
    },
    pending: () => accessRows.length + activityRows.length,
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}
