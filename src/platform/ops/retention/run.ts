// Runs retention policies: counts (dry run) or acts, in batches, each batch its own transaction,
// so a long run holds no lock for long and a failure loses at most the batch it was in.
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import type { Platform } from '../../platform'
import type { Executor } from '../../db/database'
import { foreignKeysTo, primaryKey, qualified, quoteIdent, referencedBy, type ForeignKeyIn } from './catalog'
import { ensureArchiveTable } from './archive-tables'
import type { ResolvedPolicy } from './types'

export const DEFAULT_BATCH_SIZE = 500

export interface PolicyOutcome {
  policy: string
  action: ResolvedPolicy['action']
  table: string
  /** Rows the policy touches now (dry run) or touched. */
  rows: number
  /** Archive batches written (archive only). */
  batches: number[]
}

export interface RunOptions {
  now?: Date
  dryRun?: boolean
  batchSize?: number
}

/**
 * Rows still referenced stay where they are: an archived row must not take its children with it
 * (ON DELETE CASCADE) or strand them, and a delete must not fail on, or silently clear, a key that
 * restricts it. Which keys count: every key for archive, restricting keys for delete.
 */
function blocking(p: ResolvedPolicy, fks: ForeignKeyIn[]): ForeignKeyIn[] {
  if (p.action === 'archive') return fks.filter((fk) => !(fk.onDelete === 'c' && fk.schema === p.schema && p.dropsWith?.includes(fk.table)))
  if (p.action === 'delete') return fks.filter((fk) => fk.onDelete === 'a' || fk.onDelete === 'r')
  return []
}

async function selection(db: Executor, p: ResolvedPolicy, now: Date) {
  const alias = quoteIdent(p.tableName)
  const fks = blocking(p, await foreignKeysTo(db, p.schema, p.tableName))
  const where = [...(p.condition ? [`(${p.condition})`] : []), ...fks.map((fk) => `not ${referencedBy(fk, alias)}`)]
  return {
    from: sql.raw(`${qualified(p.schema, p.tableName)} as ${alias}`),
    where: sql`${sql.raw(`${alias}.${quoteIdent(p.ageColumn)}`)} < ${now}::timestamptz - ${p.age}::interval ${sql.raw(
      where.map((w) => ` and ${w}`).join(''),
    )}`,
    alias,
  }
}

/** How many rows the policy would touch now. */
export async function countPolicy(db: Executor, p: ResolvedPolicy, now: Date): Promise<number> {
  const s = await selection(db, p, now)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${s.from} where ${s.where}`.execute(db)
  return rows[0].n
}

export async function runPolicy(platform: Platform, p: ResolvedPolicy, opts: RunOptions = {}): Promise<PolicyOutcome> {
  const db = platform.db.kysely
  const now = opts.now ?? platform.clock.now()
  const size = opts.batchSize ?? DEFAULT_BATCH_SIZE
  const outcome: PolicyOutcome = { policy: p.id, action: p.action, table: `${p.schema}.${p.tableName}`, rows: 0, batches: [] }
  const due = await countPolicy(db, p, now)
  if (opts.dryRun || due === 0) return { ...outcome, rows: due }
  // Bounded by what was due at the start: a condition that still selects a row after it was
  // anonymized must not loop forever, and rows falling due meanwhile wait for the next run.
  while (outcome.rows < due) {
    const limit = Math.min(size, due - outcome.rows)
    let done: number
    if (p.action === 'archive') {
      const batch = await archiveBatch(platform, p, now, limit)
      if (batch) outcome.batches.push(batch.id)
      done = batch?.rows ?? 0
    } else {
      done = await db
        .transaction()
        .execute((tx) => (p.action === 'delete' ? deleteBatch(tx, p, now, limit) : anonymizeBatch(tx, p, now, limit)))
    }
    outcome.rows += done
    if (done < limit) break
  }
  for (const id of outcome.batches) await exportBatch(platform, id)
  return outcome
}

async function keyList(db: Executor, p: ResolvedPolicy): Promise<string> {
  const pk = await primaryKey(db, p.schema, p.tableName)
  if (!pk.length) throw new Error(`Table ${p.schema}.${p.tableName} has no primary key; policy ${p.id} cannot select rows in batches`)
  return pk.map(quoteIdent).join(', ')
}

async function deleteBatch(tx: Executor, p: ResolvedPolicy, now: Date, limit: number): Promise<number> {
  const s = await selection(tx, p, now)
  const pk = await keyList(tx, p)
  const res = await sql`
    delete from ${sql.raw(qualified(p.schema, p.tableName))}
    where (${sql.raw(pk)}) in (select ${sql.raw(pk)} from ${s.from} where ${s.where} limit ${limit} for update skip locked)`.execute(tx)
  return Number(res.numAffectedRows ?? 0)
}

async function anonymizeBatch(tx: Executor, p: ResolvedPolicy, now: Date, limit: number): Promise<number> {
  const s = await selection(tx, p, now)
  const pk = await keyList(tx, p)
  const set = Object.entries(p.set ?? {})
    .map(([col, expr]) => `${quoteIdent(col)} = ${expr}`)
    .join(', ')
  const res = await sql`
    update ${sql.raw(qualified(p.schema, p.tableName))} as ${sql.raw(s.alias)} set ${sql.raw(set)}
    where (${sql.raw(pk)}) in (select ${sql.raw(pk)} from ${s.from} where ${s.where} order by ${sql.raw(pk)} limit ${limit} for update skip locked)`.execute(
    tx,
  )
  return Number(res.numAffectedRows ?? 0)
}

/** Moves up to `limit` due rows to the archive table and indexes them, in one transaction. */
async function archiveBatch(platform: Platform, p: ResolvedPolicy, now: Date, limit: number) {
  return platform.db.kysely.transaction().execute(async (tx) => {
    const archive = await ensureArchiveTable(tx, p.app, p.schema, p.tableName)
    const s = await selection(tx, p, now)
    const pk = archive.primaryKey.map(quoteIdent).join(', ')
    const cols = archive.columns.map((c) => quoteIdent(c.name)).join(', ')
    const key = `jsonb_build_object(${archive.primaryKey.map((c) => `'${c}', moved.${quoteIdent(c)}`).join(', ')})::text`
    // The key leaves as text: a jsonb value would come back with its keys camelCased.
    const { rows } = await sql<{ key: string }>`
      with moved as (
        delete from ${sql.raw(qualified(p.schema, p.tableName))}
        where (${sql.raw(pk)}) in (select ${sql.raw(pk)} from ${s.from} where ${s.where} limit ${limit} for update skip locked)
        returning *
      ), copied as (
        insert into ${sql.raw(qualified(archive.schema, archive.table))} (${sql.raw(cols)}) select ${sql.raw(cols)} from moved
      )
      select ${sql.raw(key)} as key from moved`.execute(tx)
    if (!rows.length) return undefined
    const batch = await tx
      .insertInto('platform.archiveBatches')
      .values({
        policy: p.id,
        app: p.app,
        sourceTable: `${p.schema}.${p.tableName}`,
        archiveTable: `${archive.schema}.${archive.table}`,
        archivedAt: now,
        rowCount: rows.length,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await sql`
      insert into platform.archive_index (batch_id, policy, app, source_table, row_key, archived_at)
      select ${batch.id}, ${p.id}, ${p.app}, ${`${p.schema}.${p.tableName}`}, k::jsonb, ${now}
      from unnest(${rows.map((r) => r.key)}::text[]) k`.execute(tx)
    return { id: batch.id, rows: rows.length }
  })
}

export class ArchiveError extends Error {}

async function batchOrThrow(db: Executor, batchId: number) {
  const batch = await db.selectFrom('platform.archiveBatches').selectAll().where('id', '=', batchId).executeTakeFirst()
  if (!batch) throw new ArchiveError(`No archive batch ${batchId} (see \`matchbase archive list\`)`)
  return batch
}

/** Rows of a batch as JSON lines (one archived row per line, column names as in SQL). */
export async function batchLines(db: Executor, batchId: number): Promise<string[]> {
  const batch = await batchOrThrow(db, batchId)
  const [schema, table] = batch.archiveTable.split('.', 2)
  const pk = await primaryKey(db, schema, table)
  const key = `jsonb_build_object(${pk.map((c) => `'${c}', a.${quoteIdent(c)}`).join(', ')})`
  const { rows } = await sql<{ line: string }>`
    select to_jsonb(a)::text as line from ${sql.raw(qualified(schema, table))} a
    join platform.archive_index i on i.batch_id = ${batchId} and i.row_key = ${sql.raw(key)}
    order by i.row_key`.execute(db)
  return rows.map((r) => r.line)
}

/** Writes the batch as gzip JSON lines to platform storage (cold storage) and records the key. */
export async function exportBatch(platform: Platform, batchId: number): Promise<{ key: string; bytes: number; rows: number }> {
  const db = platform.db.kysely
  const batch = await batchOrThrow(db, batchId)
  const lines = await batchLines(db, batchId)
  const body = gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join('')))
  const key = `archive/${batch.app}/${batch.sourceTable}/batch-${batchId}.jsonl.gz`
  await platform.storage.put(key, body, { contentType: 'application/gzip' })
  await db
    .updateTable('platform.archiveBatches')
    .set({ exportKey: key, exportedAt: platform.clock.now() })
    .where('id', '=', batchId)
    .execute()
  return { key, bytes: body.length, rows: lines.length }
}

/** Puts a batch's rows back in the live table and takes them out of the archive and its index. */
export async function restoreBatch(platform: Platform, batchId: number): Promise<{ rows: number; table: string }> {
  return platform.db.kysely.transaction().execute(async (tx) => {
    const batch = await batchOrThrow(tx, batchId)
    if (batch.restoredAt) throw new ArchiveError(`Archive batch ${batchId} was already restored at ${batch.restoredAt.toISOString()}`)
    const [schema, table] = batch.sourceTable.split('.', 2)
    const [archiveSchema] = batch.archiveTable.split('.', 2)
    const archive = await ensureArchiveTable(tx, batch.app, schema, table)
    const cols = archive.columns
      .filter((c) => !c.generated)
      .map((c) => quoteIdent(c.name))
      .join(', ')
    const key = `jsonb_build_object(${archive.primaryKey.map((c) => `'${c}', a.${quoteIdent(c)}`).join(', ')})`
    try {
      const { rows } = await sql<{ n: number }>`
        with back as (
          delete from ${sql.raw(qualified(archiveSchema, table))} a
          using platform.archive_index i
          where i.batch_id = ${batchId} and i.row_key = ${sql.raw(key)}
          returning a.*
        ), put as (
          insert into ${sql.raw(qualified(schema, table))} (${sql.raw(cols)}) overriding system value
          select ${sql.raw(cols)} from back returning 1
        )
        select count(*)::int as n from put`.execute(tx)
      await tx.deleteFrom('platform.archiveIndex').where('batchId', '=', batchId).execute()
      await tx.updateTable('platform.archiveBatches').set({ restoredAt: platform.clock.now() }).where('id', '=', batchId).execute()
      return { rows: rows[0].n, table: batch.sourceTable }
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === '23505')
        throw new ArchiveError(`Cannot restore batch ${batchId}: a row with the same key is in ${batch.sourceTable} again`)
      if (code === '23503')
        throw new ArchiveError(
          `Cannot restore batch ${batchId}: a row it references is gone from the live tables (restore the batch that archived it first): ${(err as Error).message}`,
        )
      throw err
    }
  })
}
