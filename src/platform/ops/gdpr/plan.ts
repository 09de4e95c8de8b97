// Where one user's data is: found by walking pg_catalog from the row that is the user, so a table
// added later joins without edits. A user is the row with that id in a table of the app's schema
// that has an email column (OneDesigner's clients, designers, admins; Bandsy's users).
// From there: every table whose foreign key points at the user (depth 1) and at those rows
// (depth 2); columns named user_id without a foreign key (per-app tables shared across user
// tables); rows carrying the user's email (sign-in codes, mail); and the platform's own tables
// keyed by user id and app.
import pg from 'pg'
import { sql } from 'kysely'
import type { Executor } from '../../db/database'
import { foreignKeysTo, qualified, quoteIdent, tableColumns } from '../retention/catalog'

export class GdprError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL_COLUMNS = ['email', 'to_address', 'client_email']

export interface Subject {
  app: string
  schema: string
  table: string
  id: string
  row: Record<string, unknown>
}

export interface Piece {
  schema: string
  table: string
  /** SQL predicate on alias t selecting the user's rows. */
  where: string
  /** How it was found, for the receipt. */
  via: string
  /** Only reached through ON DELETE SET NULL keys: the rows are not the user's, they point at them. */
  linkOnly: boolean
  /** Kept on erasure (payments, ledger, audit): anonymized or left, never deleted. */
  kept: boolean
  depth: number
}

const lit = (s: string) => pg.escapeLiteral(s)

export async function findSubject(db: Executor, apps: string[], id: string): Promise<Subject> {
  if (!UUID.test(id)) throw new GdprError(`${id} is not a user id (a uuid)`)
  const { rows: tables } = await sql<{ schema: string; table: string }>`
    select n.nspname as schema, c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${apps}::text[]) and c.relkind in ('r', 'p')
      and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'email' and not a.attisdropped)
      and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'id' and a.atttypid = 'uuid'::regtype)
    order by 1, 2`.execute(db)
  const found: Subject[] = []
  for (const t of tables) {
    const { rows } = await sql<{
      row: string
    }>`select to_jsonb(t)::text as row from ${sql.raw(qualified(t.schema, t.table))} t where t.id = ${id}::uuid`.execute(db)
    if (rows.length) found.push({ app: t.schema, schema: t.schema, table: t.table, id, row: JSON.parse(rows[0].row) })
  }
  if (!found.length) throw new GdprError(`No user ${id} in ${apps.join(', ')}`)
  if (found.length > 1)
    throw new GdprError(`User id ${id} is in ${found.map((f) => `${f.schema}.${f.table}`).join(' and ')}: name the app with --app`)
  return found[0]
}

/** Strings that identify the user (email, names, phone) as their row holds them. */
export function identifiers(subject: Subject): string[] {
  const keys = ['email', 'phone', 'first_name', 'last_name', 'name', 'display_name', 'username', 'full_name']
  return keys.map((k) => subject.row[k]).filter((v): v is string => typeof v === 'string' && v.trim().length >= 3)
}

export async function planFor(db: Executor, subject: Subject, keptTables: Set<string>): Promise<Piece[]> {
  const pieces = new Map<string, Piece>()
  const add = (p: Piece) => {
    const key = `${p.schema}.${p.table}`
    const had = pieces.get(key)
    if (!had) return void pieces.set(key, p)
    had.where = `(${had.where}) or (${p.where})`
    had.via = `${had.via}; ${p.via}`
    had.linkOnly &&= p.linkOnly
  }
  const kept = (schema: string, table: string) => keptTables.has(`${schema}.${table}`)
  const userTable = `${subject.schema}.${subject.table}`
  const self: Piece = {
    schema: subject.schema,
    table: subject.table,
    where: `t.id = ${lit(subject.id)}::uuid`,
    via: 'the user',
    linkOnly: false,
    kept: false,
    depth: 0,
  }
  add(self)
  const walk = async (parent: Piece, depth: number) => {
    for (const fk of await foreignKeysTo(db, parent.schema, parent.table)) {
      if (`${fk.schema}.${fk.table}` === userTable) continue
      const on = `(${fk.columns.map((c) => `t.${quoteIdent(c)}`).join(', ')}) in (select ${fk.refColumns
        .map((c) => `t.${quoteIdent(c)}`)
        .join(', ')} from ${qualified(parent.schema, parent.table)} t where ${parent.where})`
      const piece: Piece = {
        schema: fk.schema,
        table: fk.table,
        where: on,
        via: `${fk.table}.${fk.columns.join(',')} -> ${parent.table}`,
        linkOnly: fk.onDelete === 'n' || parent.linkOnly,
        kept: kept(fk.schema, fk.table),
        depth,
      }
      add(piece)
      if (depth < 2 && !piece.linkOnly) await walk({ ...piece }, depth + 1)
    }
  }
  await walk(self, 1)

  // user_id columns without a foreign key (e.g. notifications shared by several user tables).
  const { rows: loose } = await sql<{ schema: string; table: string }>`
    select n.nspname as schema, c.relname as table
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${subject.schema} and c.relkind in ('r', 'p') and a.attname = 'user_id' and a.atttypid = 'uuid'::regtype
      and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'f' and a.attnum = any(k.conkey))`.execute(db)
  for (const t of loose)
    add({ ...t, where: `t.user_id = ${lit(subject.id)}::uuid`, via: 'user_id', linkOnly: false, kept: kept(t.schema, t.table), depth: 1 })

  // Rows that carry the user's email without a key to them (sign-in codes, mail sent).
  const email = typeof subject.row.email === 'string' ? subject.row.email : undefined
  if (email) {
    const { rows: byEmail } = await sql<{ schema: string; table: string; column: string }>`
      select n.nspname as schema, c.relname as table, a.attname as column
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where (n.nspname = ${subject.schema} or (n.nspname = 'platform' and c.relname = 'dev_mailbox'))
        and c.relkind in ('r', 'p') and a.attname = any(${EMAIL_COLUMNS}::text[]) and not a.attisdropped
        and format('%I.%I', n.nspname, c.relname) <> ${userTable}`.execute(db)
    for (const t of byEmail)
      add({
        schema: t.schema,
        table: t.table,
        where: `lower(t.${quoteIdent(t.column)}::text) = lower(${lit(email)})`,
        via: `${t.column} = the user's email`,
        linkOnly: false,
        kept: kept(t.schema, t.table),
        depth: 1,
      })
  }

  // The platform's tables, keyed by user id and app.
  const app = lit(subject.app)
  const uid = lit(subject.id)
  const platformPieces: [string, string, boolean][] = [
    ['refresh_tokens', `t.user_id = ${uid}::uuid and t.app = ${app}`, false],
    ['session_revocations', `t.subject = ${uid} and t.app = ${app}`, false],
    ['ledger_entries', `t.account_id = ${uid}::uuid and t.app = ${app}`, true],
    ['audit_log', `(t.actor_id = ${uid}::uuid or t.subject_id = ${uid}) and t.app = ${app}`, true],
    // Append-only logs of ids (no personal data), which expire by whole monthly partitions.
    ['access_log', `t.user_id = ${uid}::uuid and t.app = ${app}`, true],
    ['user_activity', `t.user_id = ${uid}::uuid and t.app = ${app}`, true],
  ]
  for (const [table, where, isKept] of platformPieces)
    add({ schema: 'platform', table, where, via: 'platform, by user id', linkOnly: false, kept: isKept, depth: 1 })
  return [...pieces.values()]
}

export async function rowsOf(db: Executor, p: Piece): Promise<Record<string, unknown>[]> {
  const { rows } = await sql<{
    row: string
  }>`select to_jsonb(t)::text as row from ${sql.raw(qualified(p.schema, p.table))} t where ${sql.raw(p.where)}`.execute(db)
  return rows.map((r) => JSON.parse(r.row))
}

export async function countOf(db: Executor, p: Piece): Promise<number> {
  const { rows } = await sql<{
    n: number
  }>`select count(*)::int as n from ${sql.raw(qualified(p.schema, p.table))} t where ${sql.raw(p.where)}`.execute(db)
  return rows[0].n
}

/** Storage keys held by the user's rows: columns named file_key (or ending in _file_key). */
export async function fileKeysOf(db: Executor, pieces: Piece[]): Promise<string[]> {
  const keys: string[] = []
  for (const p of pieces) {
    if (p.linkOnly) continue
    const cols = (await tableColumns(db, p.schema, p.table)).filter((c) => c.name === 'file_key' || c.name.endsWith('_file_key'))
    for (const c of cols) {
      const { rows } = await sql<{ key: string }>`
        select t.${sql.raw(quoteIdent(c.name))} as key from ${sql.raw(qualified(p.schema, p.table))} t
        where (${sql.raw(p.where)}) and t.${sql.raw(quoteIdent(c.name))} is not null`.execute(db)
      keys.push(...rows.map((r) => r.key))
    }
  }
  return keys
}
