// `matchbase doctor`: a read-only health check of the database Matchbase migrates. Each check reads
// the catalog and the statistics views; what a database cannot tell (no pg_stat_statements, embedded
// PGlite keeps no activity counters) is said as a note, never reported as "all fine".
import { sql } from 'kysely'
import type { Db } from '../../db/database'
import { unindexedForeignKeys } from './foreign-key-indexes'

export interface SlowStatement {
  query: string
  calls: number
  meanMs: number
  totalMs: number
}
export interface TableBloat {
  table: string
  bytes: number
  /** Estimated bytes beyond what the live rows need (page estimate from pg_class and pg_stats). */
  wastedBytes: number
  wastedRatio: number
  deadRows: number | null
}
export interface IndexBloat {
  index: string
  bytes: number
  wastedBytes: number
  wastedRatio: number
}
export interface UnusedIndex {
  index: string
  table: string
  bytes: number
}
export interface DuplicateIndex {
  index: string
  /** The index that makes it redundant. */
  coveredBy: string
  kind: 'identical' | 'prefix'
  bytes: number
}
export interface MaintenanceAge {
  table: string
  lastVacuum: Date | null
  lastAnalyze: Date | null
  modifiedSinceAnalyze: number | null
  /** Transactions since the table was last frozen (wraparound is at about 2 billion). */
  xidAge: number
}

export interface DoctorReport {
  database: string
  driver: 'pglite' | 'postgres'
  schemas: string[]
  slowQueries: SlowStatement[] | null
  tableBloat: TableBloat[]
  indexBloat: IndexBloat[]
  unusedIndexes: UnusedIndex[] | null
  duplicateIndexes: DuplicateIndex[]
  maintenance: MaintenanceAge[]
  unindexedForeignKeys: string[]
  /** What could not be checked, and why. */
  notes: string[]
}

export interface DoctorOptions {
  /** Tables under this size are left out of the bloat lists (default 1 MiB). */
  minBloatBytes?: number
  /** How many slow statements to list (default 10). */
  limit?: number
}

/** The schemas Matchbase migrated in this database: platform and each app's. */
export async function migratedSchemas(db: Db): Promise<string[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('platform.schema_migrations') is not null as ok`.execute(db)
  if (!exists.rows[0].ok) return []
  const { rows } = await sql<{ app: string }>`select distinct app from platform.schema_migrations order by app`.execute(db)
  return rows.map((r) => r.app)
}

export async function runDoctor(db: Db, driver: 'pglite' | 'postgres', opts: DoctorOptions = {}): Promise<DoctorReport> {
  const schemas = await migratedSchemas(db)
  const notes: string[] = []
  if (!schemas.length) notes.push('No migrations are recorded in this database: run `matchbase migrate up` first.')
  const database = (await sql<{ db: string }>`select current_database() as db`.execute(db)).rows[0].db
  const minBytes = opts.minBloatBytes ?? 1 << 20
  const statsKept = driver === 'postgres'
  if (!statsKept)
    notes.push(
      'Embedded PGlite runs no autovacuum and its activity counters (index scans) do not survive a restart: unused ' +
        'indexes are checked on a Postgres server only, and `matchbase maintain vacuum` is the only vacuum it gets.',
    )
  const slowQueries = await slowStatements(db, opts.limit ?? 10, notes)
  const report: DoctorReport = {
    database,
    driver,
    schemas,
    slowQueries,
    tableBloat: await tableBloat(db, schemas, minBytes),
    indexBloat: await indexBloat(db, schemas, minBytes),
    unusedIndexes: statsKept ? await unusedIndexes(db, schemas, notes) : null,
    duplicateIndexes: await duplicateIndexes(db, schemas),
    maintenance: await maintenanceAge(db, schemas),
    unindexedForeignKeys: await unindexedForeignKeys(db, schemas),
    notes,
  }
  const neverAnalyzed = report.maintenance.filter((m) => !m.lastAnalyze).length
  if (neverAnalyzed)
    notes.push(`${neverAnalyzed} table(s) were never analyzed: bloat estimates need statistics (matchbase maintain analyze).`)
  return report
}

async function slowStatements(db: Db, limit: number, notes: string[]): Promise<SlowStatement[] | null> {
  const ext = await sql<{ installed: boolean; available: boolean; preloaded: boolean }>`
    select exists (select 1 from pg_extension where extname = 'pg_stat_statements') as installed,
      exists (select 1 from pg_available_extensions where name = 'pg_stat_statements') as available,
      coalesce(current_setting('shared_preload_libraries', true), '') ~ 'pg_stat_statements' as preloaded`.execute(db)
  const { installed, available, preloaded } = ext.rows[0]
  if (!installed || !preloaded) {
    notes.push(
      !available
        ? 'Slow queries: pg_stat_statements is not available on this database (embedded PGlite has none); the ' +
            'matchbase_db_query_duration_seconds histogram in /metrics gives statement times per route.'
        : `Slow queries: pg_stat_statements is ${preloaded ? 'loaded but not created' : 'not loaded'}. Add it to ` +
            'shared_preload_libraries (restart), then `create extension pg_stat_statements` in this database.',
    )
    return null
  }
  const { rows } = await sql<{ query: string; calls: number; meanMs: number; totalMs: number }>`
    select left(regexp_replace(query, '\\s+', ' ', 'g'), 200) as query, calls::float8 as calls,
      mean_exec_time as mean_ms, total_exec_time as total_ms
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())
    order by mean_exec_time desc limit ${limit}`.execute(db)
  return rows
}

// The classic estimate (as in check_postgres and pgexperts' bloat queries): the pages the live rows
// need, from reltuples and the average row width in pg_stats, against the pages the table has.
async function tableBloat(db: Db, schemas: string[], minBytes: number): Promise<TableBloat[]> {
  const { rows } = await sql<TableBloat>`
    with t as (
      select c.oid, c.relpages::float8 as pages, c.reltuples::float8 as tuples, current_setting('block_size')::float8 as bs,
        (select coalesce(sum(s.avg_width), 0) from pg_stats s where s.schemaname = n.nspname and s.tablename = c.relname)::float8 as width
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'm') and n.nspname = any(${schemas}::text[]) and c.reltuples > 0
    ), est as (
      -- 24-byte page header; per row a 4-byte line pointer and a 24-byte tuple header, rounded to 8.
      select oid, pages, bs, ceil(tuples * (ceil((24 + width) / 8) * 8 + 4) / (bs - 24)) as needed from t
    )
    select e.oid::regclass::text as "table", (e.pages * e.bs)::float8 as bytes,
      greatest(e.pages - e.needed, 0) * e.bs as wasted_bytes,
      case when e.pages > 0 then greatest(e.pages - e.needed, 0) / e.pages else 0 end as wasted_ratio,
      s.n_dead_tup::float8 as dead_rows
    from est e left join pg_stat_all_tables s on s.relid = e.oid
    where e.pages * e.bs >= ${minBytes}
    order by wasted_bytes desc, 1 limit 20`.execute(db)
  return rows
}

// B-tree leaf estimate: index tuples of the key columns' average width plus an 8-byte tuple header and
// a 4-byte line pointer, at the default 90% fill, against the pages the index has.
async function indexBloat(db: Db, schemas: string[], minBytes: number): Promise<IndexBloat[]> {
  const { rows } = await sql<IndexBloat>`
    with i as (
      select ic.oid, ic.relpages::float8 as pages, tc.reltuples::float8 as tuples, current_setting('block_size')::float8 as bs,
        (select coalesce(sum(s.avg_width), 0) from unnest(x.indkey::int2[]) k(attnum)
          join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
          join pg_stats s on s.schemaname = n.nspname and s.tablename = tc.relname and s.attname = a.attname)::float8 as width
      from pg_index x
      join pg_class ic on ic.oid = x.indexrelid
      join pg_class tc on tc.oid = x.indrelid
      join pg_namespace n on n.oid = tc.relnamespace
      join pg_am am on am.oid = ic.relam
      where am.amname = 'btree' and n.nspname = any(${schemas}::text[]) and tc.reltuples > 0 and 0 <> all (x.indkey::int2[])
    ), est as (
      select oid, pages, bs, ceil(tuples * (ceil((8 + width) / 8) * 8 + 4) / ((bs - 24 - 16) * 0.9)) + 1 as needed from i
    )
    select oid::regclass::text as index, (pages * bs)::float8 as bytes,
      greatest(pages - needed, 0) * bs as wasted_bytes,
      case when pages > 0 then greatest(pages - needed, 0) / pages else 0 end as wasted_ratio
    from est where pages * bs >= ${minBytes}
    order by wasted_bytes desc, 1 limit 20`.execute(db)
  return rows
}

async function unusedIndexes(db: Db, schemas: string[], notes: string[]): Promise<UnusedIndex[]> {
  const reset = await sql<{ since: Date | null }>`
    select stats_reset as since from pg_stat_database where datname = current_database()`.execute(db)
  const since = reset.rows[0]?.since
  notes.push(
    `Unused indexes: counted since ${since ? since.toISOString() : 'the statistics were created'}; check every server of a replica set before dropping one.`,
  )
  // Unique and primary-key indexes enforce rules and are never "unused"; neither are indexes that
  // back a constraint (exclusion).
  const { rows } = await sql<UnusedIndex>`
    select s.indexrelid::regclass::text as index, s.relid::regclass::text as "table",
      pg_relation_size(s.indexrelid)::float8 as bytes
    from pg_stat_all_indexes s join pg_index x on x.indexrelid = s.indexrelid
    where s.schemaname = any(${schemas}::text[]) and s.idx_scan = 0 and not x.indisunique
      and not exists (select 1 from pg_constraint c where c.conindid = s.indexrelid)
    order by bytes desc, 1`.execute(db)
  return rows
}

async function duplicateIndexes(db: Db, schemas: string[]): Promise<DuplicateIndex[]> {
  // Identical: same table, columns, operator classes, expressions and predicate. Prefix: a plain
  // non-unique index whose columns lead another index of the same table (the longer one serves it).
  const { rows } = await sql<DuplicateIndex>`
    with ix as (
      -- int2vector and oidvector cast to arrays start at index 0; through text they start at 1.
      select x.indexrelid, x.indrelid, string_to_array(x.indkey::text, ' ')::int2[] as cols,
        string_to_array(x.indclass::text, ' ')::oid[] as ops, x.indisunique as uniq,
        coalesce(pg_get_expr(x.indexprs, x.indrelid), '') as exprs, coalesce(pg_get_expr(x.indpred, x.indrelid), '') as pred,
        am.amname
      from pg_index x join pg_class c on c.oid = x.indexrelid join pg_am am on am.oid = c.relam
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any(${schemas}::text[])
    )
    select a.indexrelid::regclass::text as index, b.indexrelid::regclass::text as covered_by,
      case when a.cols = b.cols then 'identical' else 'prefix' end as kind,
      pg_relation_size(a.indexrelid)::float8 as bytes
    from ix a join ix b on a.indrelid = b.indrelid and a.indexrelid <> b.indexrelid
      and a.amname = b.amname and a.exprs = b.exprs and a.pred = b.pred and a.exprs = ''
    where (
        -- identical: report the one that is not unique, or the later one when both are alike
        a.cols = b.cols and a.ops = b.ops and (b.uniq and not a.uniq or a.uniq = b.uniq and a.indexrelid > b.indexrelid)
      ) or (
        a.amname = 'btree' and not a.uniq and cardinality(a.cols) < cardinality(b.cols)
        and b.cols[1:cardinality(a.cols)] = a.cols and b.ops[1:cardinality(a.ops)] = a.ops
      )
    order by 1, 2`.execute(db)
  return rows
}

async function maintenanceAge(db: Db, schemas: string[]): Promise<MaintenanceAge[]> {
  const { rows } = await sql<MaintenanceAge>`
    select c.oid::regclass::text as "table",
      greatest(s.last_vacuum, s.last_autovacuum) as last_vacuum,
      greatest(s.last_analyze, s.last_autoanalyze) as last_analyze,
      s.n_mod_since_analyze::float8 as modified_since_analyze,
      age(c.relfrozenxid)::float8 as xid_age
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_stat_all_tables s on s.relid = c.oid
    where c.relkind in ('r', 'm') and n.nspname = any(${schemas}::text[])
    order by last_analyze asc nulls first, 1`.execute(db)
  return rows
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`
const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : 'never')

/** The report as text for a terminal. */
export function formatDoctorReport(r: DoctorReport, now = new Date()): string {
  const out: string[] = [`Database ${r.database} (${r.driver}), schemas: ${r.schemas.join(', ') || 'none'}`, '']
  const section = (title: string, lines: string[], empty: string) => {
    out.push(`== ${title}`)
    out.push(...(lines.length ? lines.map((l) => `  ${l}`) : [`  ${empty}`]), '')
  }
  if (r.slowQueries)
    section(
      'Slowest statements (pg_stat_statements, mean time)',
      r.slowQueries.map((q) => `${q.meanMs.toFixed(1).padStart(9)} ms x ${String(q.calls).padEnd(8)} ${q.query}`),
      'none recorded',
    )
  section(
    'Table bloat (estimate)',
    r.tableBloat.map(
      (t) =>
        `${t.table.padEnd(44)} ${mib(t.bytes).padStart(10)}  ~${mib(t.wastedBytes)} (${Math.round(t.wastedRatio * 100)}%) wasted` +
        (t.deadRows !== null ? `, ${t.deadRows} dead rows` : ''),
    ),
    'no table over the size threshold',
  )
  section(
    'Index bloat (estimate, b-tree)',
    r.indexBloat.map(
      (i) => `${i.index.padEnd(44)} ${mib(i.bytes).padStart(10)}  ~${mib(i.wastedBytes)} (${Math.round(i.wastedRatio * 100)}%) wasted`,
    ),
    'no index over the size threshold',
  )
  if (r.unusedIndexes)
    section(
      'Unused indexes (no scan since the statistics reset; unique ones excluded)',
      r.unusedIndexes.map((i) => `${i.index.padEnd(44)} on ${i.table} ${mib(i.bytes)}`),
      'none',
    )
  section(
    'Duplicate or redundant indexes',
    r.duplicateIndexes.map((d) => `${d.index.padEnd(44)} ${d.kind === 'identical' ? 'identical to' : 'a prefix of'} ${d.coveredBy}`),
    'none',
  )
  const stale = r.maintenance.filter(
    (m) => !m.lastAnalyze || now.getTime() - m.lastAnalyze.getTime() > 7 * 86_400_000 || m.xidAge > 500_000_000,
  )
  section(
    'Vacuum and analyze (tables not analyzed for 7 days, or far from their last freeze)',
    stale.map(
      (m) =>
        `${m.table.padEnd(44)} vacuum ${when(m.lastVacuum)}, analyze ${when(m.lastAnalyze)}` +
        `${m.modifiedSinceAnalyze !== null ? `, ${m.modifiedSinceAnalyze} rows changed since` : ''}, xid age ${m.xidAge}`,
    ),
    `all ${r.maintenance.length} tables analyzed within 7 days`,
  )
  section('Foreign keys without an index', r.unindexedForeignKeys, 'none: every foreign key has an index leading with it')
  if (r.notes.length) section('Notes', r.notes, '')
  return out.join('\n')
}
