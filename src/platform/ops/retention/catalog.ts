// What pg_catalog says about a table: its columns, primary key and the foreign keys that point at
// it. Retention, archiving and GDPR read the schema from here rather than from lists kept by hand,
// so a table added by a later migration is covered without edits.
import { sql } from 'kysely'
import type { Executor } from '../../db/database'

export interface ColumnInfo {
  name: string
  /** format_type: e.g. `character varying(255)`, `uuid`, `timestamp with time zone`. */
  type: string
  notNull: boolean
  /** A stored generated column: it cannot be written. */
  generated: boolean
}

export interface ForeignKeyIn {
  /** The referencing table, schema-qualified and quoted for SQL. */
  schema: string
  table: string
  columns: string[]
  refColumns: string[]
  /** a: no action, r: restrict, c: cascade, n: set null, d: set default. */
  onDelete: 'a' | 'r' | 'c' | 'n' | 'd'
}

export const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export async function tableExists(db: Executor, schema: string, table: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${qualified(schema, table)}) is not null as found`.execute(db)
  return rows[0].found
}

export async function tableColumns(db: Executor, schema: string, table: string): Promise<ColumnInfo[]> {
  const { rows } = await sql<ColumnInfo>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           a.attgenerated <> '' as generated
    from pg_attribute a
    where a.attrelid = to_regclass(${qualified(schema, table)}) and a.attnum > 0 and not a.attisdropped
    order by a.attnum`.execute(db)
  return rows
}

export async function primaryKey(db: Executor, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select a.attname as name
    from pg_constraint c
    cross join lateral unnest(c.conkey) with ordinality k(attnum, ord)
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
    where c.conrelid = to_regclass(${qualified(schema, table)}) and c.contype = 'p'
    order by k.ord`.execute(db)
  return rows.map((r) => r.name)
}

/** Foreign keys of other tables (and this one) that reference this table. */
export async function foreignKeysTo(db: Executor, schema: string, table: string): Promise<ForeignKeyIn[]> {
  const { rows } = await sql<ForeignKeyIn>`
    select n.nspname as schema, t.relname as table,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord) as columns,
           array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord) as ref_columns,
           c.confdeltype::text as on_delete
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join pg_namespace n on n.oid = t.relnamespace
    where c.contype = 'f' and c.confrelid = to_regclass(${qualified(schema, table)})
    order by n.nspname, t.relname, c.conname`.execute(db)
  return rows
}

/**
 * SQL that is true while some row of `fk.table` references the row `alias` of the table the key
 * points at (used to leave referenced rows in place).
 */
export function referencedBy(fk: ForeignKeyIn, alias: string): string {
  const on = fk.columns.map((c, i) => `r.${quoteIdent(c)} = ${alias}.${quoteIdent(fk.refColumns[i])}`).join(' and ')
  return `exists (select 1 from ${qualified(fk.schema, fk.table)} r where ${on})`
}
