// Archive tables: <schema>_archive.<table>, made from the live table the first time a policy
// archives it and checked against it before every later move, so the two cannot drift apart.
// A column the live table gained since is added to the archive (nullable: archived rows never had
// it); a column the archive has and the live table lost, or a changed type, stops the run with a
// message naming them: archived rows would no longer fit back.
import { sql } from 'kysely'
import type { Executor } from '../../db/database'
import { primaryKey, qualified, quoteIdent, tableColumns, type ColumnInfo } from './catalog'

export class ArchiveDriftError extends Error {}

export const archiveSchemaOf = (schema: string) => `${schema}_archive`

export interface ArchiveTable {
  schema: string
  table: string
  /** The live table's columns, in its order: what a move copies. */
  columns: ColumnInfo[]
  primaryKey: string[]
}

/** Creates the archive table when missing, follows added columns, refuses real drift. */
export async function ensureArchiveTable(db: Executor, app: string, schema: string, table: string): Promise<ArchiveTable> {
  const live = await tableColumns(db, schema, table)
  if (!live.length) throw new Error(`Table ${schema}.${table} does not exist`)
  const pk = await primaryKey(db, schema, table)
  if (!pk.length) throw new Error(`Table ${schema}.${table} has no primary key: its archived rows could not be found again`)
  const archiveSchema = archiveSchemaOf(schema)
  const target = qualified(archiveSchema, table)
  let archived = await tableColumns(db, archiveSchema, table)
  if (!archived.length) {
    // Columns, types, not-null and CHECK constraints carry over; identity, defaults, generated
    // expressions, unique indexes other than the key, foreign keys and triggers do not: archived
    // rows are kept as they were, not re-validated against live rows or rewritten by triggers.
    for (const statement of [
      `create schema if not exists ${quoteIdent(archiveSchema)}`,
      `create table ${target} (like ${qualified(schema, table)} including constraints including comments)`,
      `alter table ${target} add primary key (${pk.map(quoteIdent).join(', ')})`,
      `alter table ${target} enable row level security`,
      `alter table ${target} force row level security`,
      `grant usage on schema ${quoteIdent(archiveSchema)} to matchbase_user`,
      `grant select on ${target} to matchbase_user`,
      `create policy archive_admin_read on ${target} for select to matchbase_user using (platform.is_admin(${literal(app)}))`,
    ])
      await sql.raw(statement).execute(db)
    archived = await tableColumns(db, archiveSchema, table)
  }
  const byName = new Map(archived.map((c) => [c.name, c]))
  const problems: string[] = []
  for (const c of live) {
    const a = byName.get(c.name)
    if (!a) {
      await sql.raw(`alter table ${target} add column ${quoteIdent(c.name)} ${c.type}`).execute(db)
      continue
    }
    if (a.type !== c.type) problems.push(`column ${c.name} is ${c.type} in the live table but ${a.type} in the archive`)
    byName.delete(c.name)
  }
  for (const gone of byName.keys()) problems.push(`column ${gone} is in the archive but no longer in the live table`)
  if (problems.length)
    throw new ArchiveDriftError(
      `Archive table ${archiveSchema}.${table} no longer matches ${schema}.${table}: ${problems.join('; ')}. ` +
        `Change the archive table the same way (a migration), then run again.`,
    )
  return { schema: archiveSchema, table, columns: live, primaryKey: pk }
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`
