// The monthly maintenance tasks of the seeds ("Regular REINDEX", "manual VACUUM ANALYZE",
// "statistics up to date"), one table at a time over the schemas Matchbase migrated, so a run can
// be stopped between tables and each table is locked only for its own turn.
import { sql } from 'kysely'
import type { Db } from '../../db/database'
import { migratedSchemas } from './doctor'

export const MAINTENANCE_TASKS = ['vacuum', 'reindex', 'analyze'] as const
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number]

export const isMaintenanceTask = (name: string): name is MaintenanceTask => (MAINTENANCE_TASKS as readonly string[]).includes(name)

export const MAINTENANCE_DESCRIPTIONS: Record<MaintenanceTask, string> = {
  vacuum: 'VACUUM (ANALYZE) every table: reclaim dead rows, refresh statistics',
  reindex: 'REINDEX TABLE CONCURRENTLY every table: rebuild bloated indexes without blocking writes',
  analyze: 'ANALYZE every table: refresh the planner statistics',
}

export class MaintenanceError extends Error {}

export interface TableResult {
  table: string
  ms: number
  bytesBefore: number
  bytesAfter: number
}

export interface MaintenanceOptions {
  /** Only these tables ("schema.table"); every migrated table when absent. */
  tables?: string[]
  onTable?: (done: number, total: number, table: string) => void
}

/** The migrated tables, as quoted "schema"."table" names keyed by their plain schema.table text. */
async function tablesOf(db: Db): Promise<Map<string, string>> {
  const schemas = await migratedSchemas(db)
  const { rows } = await sql<{ name: string; quoted: string }>`
    select n.nspname || '.' || c.relname as name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as quoted
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'm', 'p') and n.nspname = any(${schemas}::text[]) and not c.relispartition
    order by 1`.execute(db)
  return new Map(rows.map((r) => [r.name, r.quoted]))
}

export async function runMaintenance(db: Db, task: MaintenanceTask, opts: MaintenanceOptions = {}): Promise<TableResult[]> {
  const all = await tablesOf(db)
  if (!all.size) throw new MaintenanceError('No migrated tables in this database: run `matchbase migrate up` first.')
  const names = opts.tables ?? [...all.keys()]
  const unknown = names.filter((n) => !all.has(n))
  if (unknown.length)
    throw new MaintenanceError(`Unknown table ${unknown.join(', ')}: give schema.table of a migrated table (see \`matchbase doctor\`).`)
  const results: TableResult[] = []
  for (const [i, name] of names.entries()) {
    opts.onTable?.(i, names.length, name)
    const quoted = all.get(name)!
    const before = await relationBytes(db, quoted)
    const started = performance.now()
    // Not in a transaction: VACUUM and REINDEX CONCURRENTLY refuse to run inside one.
    await sql.raw(statementFor(task, quoted)).execute(db)
    results.push({
      table: name,
      ms: Math.round(performance.now() - started),
      bytesBefore: before,
      bytesAfter: await relationBytes(db, quoted),
    })
  }
  opts.onTable?.(names.length, names.length, '')
  return results
}

function statementFor(task: MaintenanceTask, table: string): string {
  switch (task) {
    case 'vacuum':
      return `vacuum (analyze) ${table}`
    case 'reindex':
      // CONCURRENTLY builds the new index beside the old one: reads and writes go on meanwhile.
      return `reindex table concurrently ${table}`
    case 'analyze':
      return `analyze ${table}`
  }
}

async function relationBytes(db: Db, quoted: string): Promise<number> {
  const { rows } = await sql<{ bytes: number }>`select pg_total_relation_size(${quoted}::regclass)::float8 as bytes`.execute(db)
  return rows[0].bytes
}
