// A cancelled brief sells nothing more: no unlock through its matches, no project request about it.
// The services check first (a clear 409); migration 0011's trigger holds the rule for every writer
// and decides a race with a concurrent cancel, raising check_violation on brief_not_cancelled.
import { type AppError, conflict } from '../../../platform'

const CONSTRAINT = 'brief_not_cancelled'

export const briefCancelled = (what: string, matchId: string): AppError =>
  conflict(`The brief of this match was cancelled; ${what}`, { matchId, briefStatus: 'cancelled', constraint: CONSTRAINT })

/** Runs fn and turns the trigger's refusal into the same 409. */
export async function refusingCancelledBrief<T>(what: string, matchId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const e = err as { code?: string; constraint?: string }
    if (e?.code === '23514' && e.constraint === CONSTRAINT) throw briefCancelled(what, matchId)
    throw err
  }
}
