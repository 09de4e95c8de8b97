// Monthly partitions of the log tables (platform 0005): the next months are created ahead, and a
// month past its table's retention is dropped whole, the only way rows leave these tables.
import { sql } from 'kysely'
import type { Executor } from '../../db/database'
import type { JobDefinition } from '../../jobs/types'

export interface PartitionedLog {
  /** The range-partitioned table whose children are the months. */
  table: string
  description: string
  /** A Postgres interval: a month is dropped once it ended longer ago than this. */
  retention: string
}

/** The seed's retention: access logs 30 days, error logs 90, audit and user activity 1 year. */
export const PARTITIONED_LOGS: PartitionedLog[] = [
  { table: 'platform.access_log_requests', description: 'access log (status < 500)', retention: '30 days' },
  { table: 'platform.access_log_errors', description: 'error log (access log, status >= 500)', retention: '90 days' },
  { table: 'platform.audit_log', description: 'audit log', retention: '1 year' },
  { table: 'platform.user_activity', description: 'user activity (sign-ins, account deletions)', retention: '1 year' },
]

/** The step's name in `matchbase retention list|run` (--policy). */
export const LOG_PARTITIONS_STEP = 'platform-log-partitions'

/** Months created ahead of the current one. */
export const MONTHS_AHEAD = 3

export interface PartitionChange {
  table: string
  partition: string
  rows?: number
}

export interface PartitionOutcome {
  created: PartitionChange[]
  dropped: PartitionChange[]
}

interface Month {
  partition: string
  from: Date
  to: Date
}

/** The monthly partitions of a table (named <table>_pYYYYMM), oldest first. */
export async function monthsOf(db: Executor, table: string): Promise<Month[]> {
  const [schema, name] = table.split('.', 2)
  const { rows } = await sql<{ partition: string }>`
    select c.relname as partition from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${`${schema}.${name}`}::regclass and c.relname ~ ${`^${name}_p[0-9]{6}$`}
    order by 1`.execute(db)
  return rows.map(({ partition }) => {
    const ym = partition.slice(-6)
    return monthAt(`${schema}.${partition}`, new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(4)) - 1, 1)))
  })
}

function monthAt(partition: string, from: Date): Month {
  return { partition, from, to: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) }
}

/** Months whose rows wait in the default partition (their partition did not exist in time). */
async function monthsWaiting(db: Executor, table: string): Promise<Date[]> {
  const { rows } = await sql<{ month: Date }>`
    select distinct date_trunc('month', at, 'UTC') as month from ${sql.table(`${table}_default`)}`.execute(db)
  return rows.map((r) => new Date(r.month))
}

const monthName = (table: string, d: Date) => `${table}_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`

/**
 * Creates the current month and MONTHS_AHEAD ahead (and months whose rows wait in the default
 * partition), then drops every month that ended more than its retention before `now`. With
 * dryRun, says what it would do and changes nothing.
 */
export async function maintainLogPartitions(db: Executor, now: Date, opts: { dryRun?: boolean } = {}): Promise<PartitionOutcome> {
  const outcome: PartitionOutcome = { created: [], dropped: [] }
  for (const log of PARTITIONED_LOGS) {
    const existing = new Set((await monthsOf(db, log.table)).map((m) => m.partition))
    const wanted = new Map<string, Date>()
    for (let ahead = 0; ahead <= MONTHS_AHEAD; ahead++) {
      const m = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1))
      wanted.set(monthName(log.table, m), m)
    }
    for (const m of await monthsWaiting(db, log.table)) wanted.set(monthName(log.table, m), m)
    for (const [partition, month] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
      if (existing.has(partition)) continue
      if (!opts.dryRun) await sql`select platform.ensure_log_partition(${log.table}::regclass, ${month}::timestamptz)`.execute(db)
      outcome.created.push({ table: log.table, partition })
    }
    const { rows } = await sql<{ cutoff: Date }>`select ${now}::timestamptz - ${log.retention}::interval as cutoff`.execute(db)
    const cutoff = new Date(rows[0].cutoff)
    // A dry run also counts the months it would have created from rows waiting in the default partition.
    const months = opts.dryRun
      ? [...(await monthsOf(db, log.table)), ...[...wanted].filter(([p]) => !existing.has(p)).map(([p, from]) => monthAt(p, from))]
      : await monthsOf(db, log.table)
    for (const m of months) {
      if (m.to > cutoff) continue
      const source = existing.has(m.partition) || !opts.dryRun ? sql`${sql.table(m.partition)}` : sql`${sql.table(`${log.table}_default`)}`
      const { rows: counted } = await sql<{ n: number }>`
        select count(*)::int as n from ${source} where at >= ${m.from} and at < ${m.to}`.execute(db)
      if (!opts.dryRun) await sql`drop table ${sql.table(m.partition)}`.execute(db)
      outcome.dropped.push({ table: log.table, partition: m.partition, rows: counted[0].n })
    }
  }
  return outcome
}

export const logPartitionsJob: JobDefinition = {
  name: LOG_PARTITIONS_STEP,
  cron: '10 4 * * *',
  description:
    'create the log tables’ monthly partitions ahead; drop months past retention (access 30 d, errors 90 d, audit and activity 1 y)',
  async run({ platform, now }) {
    const out = await maintainLogPartitions(platform.db.kysely, now)
    return { created: out.created.length, dropped: out.dropped.length, rowsDropped: out.dropped.reduce((n, d) => n + (d.rows ?? 0), 0) }
  },
}
