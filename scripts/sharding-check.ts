// Checks docs/sharding-plan.json (the Citus plan, docs/scaling.md) against a migrated database's
// catalog: every table of the platform and app schemas has a role, a distribution column exists,
// and every foreign key either stays on one shard or is a crossing the plan lists with its reason.
//   npx tsx scripts/sharding-check.ts      (migrates an in-memory PGlite; exit 1 on a problem)
import fs from 'node:fs'
import { pathToFileURL } from 'node:url'
import { sql, type Kysely } from 'kysely'

export type TableRole = 'distributed' | 'reference' | 'local'

export interface PlannedTable {
  role: TableRole
  /** The distribution column (distributed only). */
  column?: string
}

export interface KnownCrossing {
  table: string
  columns: string[]
  references: string
  reason: string
}

export interface ShardingPlan {
  tables: Record<string, PlannedTable>
  crossings: KnownCrossing[]
}

export interface ForeignKey {
  table: string
  columns: string[]
  references: string
  referencedColumns: string[]
}

export interface CheckResult {
  /** Every table found, with its planned role and key ("?" when the plan misses it). */
  tables: { table: string; role: TableRole | '?'; column: string | null }[]
  /** Foreign keys that cross shards and the plan lists, with the reason. */
  knownCrossings: (ForeignKey & { reason: string })[]
  problems: string[]
}

export const PLAN_PATH = 'docs/sharding-plan.json'

export function loadPlan(path = PLAN_PATH): ShardingPlan {
  return JSON.parse(fs.readFileSync(path, 'utf8')) as ShardingPlan
}

const describeFk = (fk: { table: string; columns: string[]; references: string }) =>
  `${fk.table}(${fk.columns.join(', ')}) -> ${fk.references}`

/** Why this key would cross shards under the plan, or undefined when it stays on one. */
export function crossingOf(fk: ForeignKey, plan: ShardingPlan, types: Map<string, string>): string | undefined {
  const from = plan.tables[fk.table]
  const to = plan.tables[fk.references]
  if (!from || !to) return undefined // reported as a missing table
  // Every worker (and the coordinator, once it is in the metadata) holds a reference table whole.
  if (to.role === 'reference') return undefined
  if (from.role === 'reference') return to.role === 'distributed' ? 'a reference table cannot refer to a distributed one' : undefined
  if (from.role === 'local' && to.role === 'local') return undefined
  if (from.role === 'local' || to.role === 'local') return 'a key between a local (coordinator) table and a distributed one'
  // Both distributed: only a key on both distribution columns, of one type, stays on one shard.
  const at = fk.columns.indexOf(from.column!)
  if (at < 0 || fk.referencedColumns[at] !== to.column)
    return `not on the distribution columns (${fk.table}.${from.column}, ${fk.references}.${to.column})`
  if (types.get(`${fk.table}.${from.column}`) !== types.get(`${fk.references}.${to.column}`))
    return 'distribution columns of different types cannot be co-located'
  return undefined
}

/** Reads the catalog of the database `db` (no CamelCasePlugin) and checks the plan against it. */
export async function checkShardingPlan(db: Kysely<any>, plan: ShardingPlan, schemas: string[]): Promise<CheckResult> {
  const { rows: tables } = await sql<{ name: string }>`
    select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any(${schemas}::text[])
    order by 1`.execute(db)
  const { rows: columns } = await sql<{ name: string; type: string }>`
    select n.nspname || '.' || c.relname || '.' || a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and n.nspname = any(${schemas}::text[])`.execute(db)
  const { rows: fks } = await sql<ForeignKey>`
    select sn.nspname || '.' || s.relname as table, tn.nspname || '.' || t.relname as references,
           array(select a.attname::text from unnest(k.conkey) with ordinality u(n, i)
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as columns,
           array(select a.attname::text from unnest(k.confkey) with ordinality u(n, i)
                 join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) as "referencedColumns"
    from pg_constraint k
    join pg_class s on s.oid = k.conrelid join pg_namespace sn on sn.oid = s.relnamespace
    join pg_class t on t.oid = k.confrelid join pg_namespace tn on tn.oid = t.relnamespace
    where k.contype = 'f' and k.conparentid = 0 and sn.nspname = any(${schemas}::text[])
    order by 1, 2, 3`.execute(db)

  const types = new Map(columns.map((c) => [c.name, c.type]))
  const existing = new Set(tables.map((t) => t.name))
  const problems: string[] = []
  for (const t of tables) if (!plan.tables[t.name]) problems.push(`${t.name}: missing from the plan`)
  for (const [name, p] of Object.entries(plan.tables)) {
    if (!existing.has(name)) problems.push(`${name}: in the plan but not in the database`)
    else if (p.role === 'distributed' && !p.column) problems.push(`${name}: distributed without a column`)
    else if (p.role === 'distributed' && !types.has(`${name}.${p.column}`))
      problems.push(`${name}: the distribution column ${p.column} does not exist`)
    else if (p.role !== 'distributed' && p.column) problems.push(`${name}: a ${p.role} table has no distribution column`)
    else if (!['distributed', 'reference', 'local'].includes(p.role)) problems.push(`${name}: unknown role ${p.role}`)
  }
  const known = new Map(plan.crossings.map((c) => [describeFk(c), c]))
  const used = new Set<string>()
  const knownCrossings: CheckResult['knownCrossings'] = []
  for (const fk of fks) {
    const why = crossingOf(fk, plan, types)
    if (!why) continue
    const entry = known.get(describeFk(fk))
    if (!entry) problems.push(`foreign key ${describeFk(fk)} crosses shards (${why}) and is not among the plan's crossings`)
    else {
      used.add(describeFk(fk))
      if (!entry.reason?.trim()) problems.push(`crossing ${describeFk(fk)} gives no reason`)
      knownCrossings.push({ ...fk, reason: entry.reason })
    }
  }
  for (const c of plan.crossings)
    if (!used.has(describeFk(c))) problems.push(`crossing ${describeFk(c)} is listed but no such key crosses shards (remove it)`)

  return {
    tables: tables.map((t) => ({ table: t.name, role: plan.tables[t.name]?.role ?? '?', column: plan.tables[t.name]?.column ?? null })),
    knownCrossings,
    problems,
  }
}

export function formatResult(r: CheckResult): string {
  const lines = r.tables.map((t) => `${t.table.padEnd(42)} ${t.role.padEnd(12)} ${t.column ?? ''}`)
  lines.push('', `Known crossings (${r.knownCrossings.length}):`)
  for (const c of r.knownCrossings) lines.push(`  ${describeFk(c)}: ${c.reason}`)
  lines.push('', r.problems.length ? `Problems (${r.problems.length}):` : 'No problems.')
  for (const p of r.problems) lines.push(`  ${p}`)
  return lines.join('\n')
}

async function main() {
  const { testConfig } = await import('../src/platform/config')
  const { openDatabase } = await import('../src/platform/db/database')
  const { migrateUp } = await import('../src/platform/migrate/migrator')
  const { migrationSources } = await import('../src/server')
  const { ALL_APPS } = await import('../src/apps')
  const db = await openDatabase(testConfig(), { dataDir: 'memory://' })
  try {
    await migrateUp(db.kysely, migrationSources(ALL_APPS))
    const result = await checkShardingPlan(db.kysely.withoutPlugins(), loadPlan(), ['platform', ...ALL_APPS.map((a) => a.name)])
    console.log(formatResult(result))
    process.exitCode = result.problems.length ? 1 : 0
  } finally {
    await db.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
