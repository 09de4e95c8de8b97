// Records the messages a pg Pool's clients send to Postgres, each one round trip, and when each
// was answered, so a test can tell what a request waited for (src/platform/db/pg-driver.ts).
import type pg from 'pg'

export interface Trip {
  sql: string
  /** performance.now() when the answer arrived (after any hold); undefined while pending. */
  answeredAt?: number
}

interface Recording {
  trips: Trip[]
  holdCommitMs: number
}

const WRAPPED = Symbol('round-trip recorder')
let current: Recording | undefined

function wrap(client: pg.PoolClient) {
  const c = client as pg.PoolClient & { [WRAPPED]?: true }
  if (c[WRAPPED]) return
  c[WRAPPED] = true
  const query = c.query.bind(c) as (...args: unknown[]) => Promise<unknown>
  ;(c as { query: unknown }).query = (...args: unknown[]) => {
    const recording = current
    const answer = query(...args)
    if (!recording) return answer
    const trip: Trip = { sql: typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text) }
    recording.trips.push(trip)
    const hold = recording.holdCommitMs && isCommit(trip.sql) ? recording.holdCommitMs : 0
    return answer.then(async (v) => {
      if (hold) await new Promise((resolve) => setTimeout(resolve, hold))
      trip.answeredAt = performance.now()
      return v
    })
  }
}

export const isCommit = (sql: string) => /^commit$/i.test(sql.trim())

/**
 * Records every statement sent through the pool from now until stop(). With holdCommitMs, the
 * answer to a COMMIT is held back that long, so a caller that waits for it is visibly late.
 */
export function recordRoundTrips(pool: pg.Pool, opts: { holdCommitMs?: number } = {}) {
  const recording: Recording = { trips: [], holdCommitMs: opts.holdCommitMs ?? 0 }
  current = recording
  pool.on('acquire', wrap)
  return {
    stop(): Trip[] {
      if (current === recording) current = undefined
      pool.off('acquire', wrap)
      return recording.trips
    },
  }
}
