// The backfill step of a zero-downtime migration (docs/operations.md, "Migrations"): rows updated in
// small batches, each in its own short transaction, so no statement holds locks on many rows for
// long and writers keep going between batches. Rows another transaction holds are skipped and
// picked up by a later batch, never waited for.
import { sql } from 'kysely'
import type { Db } from '../db/database'

export interface BackfillSpec {
  /** Schema-qualified table, e.g. 'onedesigner.matches' (a constant of the caller, not user input). */
  table: string
  /** The SET list, e.g. "expires_at = created_at + interval '7 days'". */
  set: string
  /** Which rows still need it, e.g. 'expires_at is null'. The SET must make it false. */
  where: string
  /** Rows per transaction (default 1,000). */
  batchSize?: number
  /** Pause between batches, to leave the database room under load (default 0). */
  pauseMs?: number
  /** The table's key column (default 'id'). */
  key?: string
  onBatch?: (updatedSoFar: number) => void
}

/**
 * Runs batches until none is left to update. Returns the rows updated, the batches run, and the
 * rows still left (held by other transactions throughout: run it again).
 */
export async function backfillInBatches(db: Db, spec: BackfillSpec): Promise<{ updated: number; batches: number; remaining: number }> {
  const batchSize = spec.batchSize ?? 1_000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer')
  const key = spec.key ?? 'id'
  const statement = sql.raw(
    `update ${spec.table} set ${spec.set} where ${key} in (
       select ${key} from ${spec.table} where ${spec.where} limit ${batchSize} for update skip locked)`,
  )
  let updated = 0
  let batches = 0
  for (;;) {
    const result = await db.transaction().execute((tx) => statement.execute(tx))
    const n = Number(result.numAffectedRows ?? 0)
    if (n === 0) break
    updated += n
    batches++
    spec.onBatch?.(updated)
    if (spec.pauseMs) await new Promise((resolve) => setTimeout(resolve, spec.pauseMs))
  }
  const left = await sql.raw<{ n: number }>(`select count(*)::int as n from ${spec.table} where ${spec.where}`).execute(db)
  return { updated, batches, remaining: left.rows[0].n }
}
