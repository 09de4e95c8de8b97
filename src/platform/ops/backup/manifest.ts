// What a backup holds, written beside it: the time, the schema version of each app, and per table
// the row count and a checksum of its rows. verify-backup restores the file somewhere else and
// recomputes this; any difference means the backup would not give back the data it was taken from.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type pg from 'pg'

export const MANIFEST_FORMAT = 'matchbase-backup/1'

/** A user error about a backup (missing, corrupt, wrong target): the CLI prints it and exits 1. */
export class BackupError extends Error {}

export type BackupKind = 'pglite' | 'pg_dump'

export interface TableSummary {
  /** schema.table */
  table: string
  rows: number
  /** md5 over the md5 of each row's text, in sorted order: independent of physical row order. */
  checksum: string
}

export interface DatabaseSummary {
  serverVersion: string
  /** Per app (and 'platform'): the highest applied migration and how many are applied. */
  schemaVersions: Record<string, { version: string; migrations: number }>
  tables: TableSummary[]
}

export interface BackupManifest extends DatabaseSummary {
  format: typeof MANIFEST_FORMAT
  kind: BackupKind
  createdAt: string
  /** The backup file this manifest describes; a changed byte changes sha256. */
  file: { name: string; bytes: number; sha256: string }
}

// Text output of dates, intervals, floats and bytea depends on session settings; fixing them makes
// the checksums the same whichever client or server computes them.
const STABLE_OUTPUT = [
  "set local timezone = 'UTC'",
  "set local datestyle = 'ISO, YMD'",
  "set local intervalstyle = 'postgres'",
  'set local extra_float_digits = 1',
  "set local bytea_output = 'hex'",
  // Fail instead of silently checksumming only the rows a policy lets this role see.
  'set local row_security = off',
]

const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`

/**
 * Summarises the database the client is connected to. Run inside a transaction that sees one
 * snapshot (repeatable read); the caller owns the transaction so that a dump can share it.
 */
export async function summarizeDatabase(client: pg.ClientBase): Promise<DatabaseSummary> {
  for (const stmt of STABLE_OUTPUT) await client.query(stmt)
  const version = await client.query<{ v: string }>(`select current_setting('server_version') as v`)
  const tables = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and c.relpersistence = 'p'
        and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      order by n.nspname::text collate "C", c.relname::text collate "C"`,
  )
  const summaries: TableSummary[] = []
  for (const t of tables.rows) {
    const qualified = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
    const r = await client.query<{ n: number | string; sum: string }>(
      `select count(*) as n, md5(coalesce(string_agg(h, '' order by h collate "C"), '')) as sum
         from (select md5(x::text) as h from ${qualified} x) rows`,
    )
    summaries.push({ table: `${t.schema}.${t.name}`, rows: Number(r.rows[0]!.n), checksum: r.rows[0]!.sum })
  }
  return { serverVersion: version.rows[0]!.v, schemaVersions: await schemaVersions(client), tables: summaries }
}

async function schemaVersions(client: pg.ClientBase): Promise<DatabaseSummary['schemaVersions']> {
  const exists = await client.query(`select to_regclass('platform.schema_migrations') is not null as present`)
  if (!exists.rows[0]?.present) return {}
  const rows = await client.query<{ app: string; version: string; n: number | string }>(
    `select app, max(version) as version, count(*) as n from platform.schema_migrations group by app order by app collate "C"`,
  )
  return Object.fromEntries(rows.rows.map((r) => [r.app, { version: r.version, migrations: Number(r.n) }]))
}

/** Runs fn in a read-only repeatable-read transaction on one connection of the pool. */
export async function inSnapshot<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('begin isolation level repeatable read read only')
    const result = await fn(client)
    await client.query('commit')
    return result
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

/** Every difference between what the manifest promises and what a restore gave; empty when equal. */
export function compareSummaries(expected: DatabaseSummary, actual: DatabaseSummary): string[] {
  const diffs: string[] = []
  const apps = new Set([...Object.keys(expected.schemaVersions), ...Object.keys(actual.schemaVersions)])
  for (const app of [...apps].sort()) {
    const e = expected.schemaVersions[app]
    const a = actual.schemaVersions[app]
    if (!e || !a || e.version !== a.version || e.migrations !== a.migrations)
      diffs.push(`schema ${app}: backup has ${describeVersion(e)}, restore has ${describeVersion(a)}`)
  }
  const restored = new Map(actual.tables.map((t) => [t.table, t]))
  for (const e of expected.tables) {
    const a = restored.get(e.table)
    restored.delete(e.table)
    if (!a) diffs.push(`table ${e.table}: missing after restore (backup has ${e.rows} rows)`)
    else if (a.rows !== e.rows) diffs.push(`table ${e.table}: ${e.rows} rows in the backup, ${a.rows} after restore`)
    else if (a.checksum !== e.checksum) diffs.push(`table ${e.table}: same row count (${e.rows}) but different contents (checksum)`)
  }
  for (const extra of restored.values())
    diffs.push(`table ${extra.table}: not in the backup but present after restore (${extra.rows} rows)`)
  return diffs
}

function describeVersion(v?: { version: string; migrations: number }) {
  return v ? `version ${v.version} (${v.migrations} migrations)` : 'no migrations'
}

export function manifestPathFor(backupFile: string): string {
  return `${backupFile}.manifest.json`
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function writeManifest(
  backupFile: string,
  kind: BackupKind,
  summary: DatabaseSummary,
  createdAt: Date,
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    kind,
    createdAt: createdAt.toISOString(),
    file: { name: path.basename(backupFile), bytes: fs.statSync(backupFile).size, sha256: await sha256OfFile(backupFile) },
    ...summary,
  }
  fs.writeFileSync(manifestPathFor(backupFile), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

/**
 * Reads the manifest beside a backup file and checks that the file is the one it describes, byte
 * for byte (size and sha256), before anything restores it: a damaged file is refused, never loaded.
 */
export async function readVerifiedManifest(backupFile: string): Promise<BackupManifest> {
  if (!fs.existsSync(backupFile)) throw new BackupError(`No backup file at ${backupFile}`)
  if (!fs.statSync(backupFile).isFile()) throw new BackupError(`${backupFile} is not a file`)
  const manifestFile = manifestPathFor(backupFile)
  if (!fs.existsSync(manifestFile))
    throw new BackupError(`No manifest beside ${backupFile} (expected ${manifestFile}); it cannot be verified, so it is not restored`)
  let manifest: BackupManifest
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
  } catch (err) {
    throw new BackupError(`The manifest ${manifestFile} is not valid JSON: ${(err as Error).message}`)
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.tables) || !manifest.file?.sha256)
    throw new BackupError(`${manifestFile} is not a Matchbase backup manifest (format ${MANIFEST_FORMAT})`)
  const bytes = fs.statSync(backupFile).size
  if (bytes !== manifest.file.bytes)
    throw new BackupError(`${backupFile} is corrupt: ${bytes} bytes, the manifest says ${manifest.file.bytes}`)
  const sha256 = await sha256OfFile(backupFile)
  if (sha256 !== manifest.file.sha256)
    throw new BackupError(`${backupFile} is corrupt: its sha256 is ${sha256}, the manifest says ${manifest.file.sha256}`)
  return manifest
}

/** The kind of backup a file is, from its manifest, without checking the file (restore and verify do). */
export function backupKindOf(backupFile: string): BackupKind {
  if (!fs.existsSync(backupFile)) throw new BackupError(`No backup file at ${backupFile}`)
  const manifestFile = manifestPathFor(backupFile)
  if (!fs.existsSync(manifestFile))
    throw new BackupError(`No manifest beside ${backupFile} (expected ${manifestFile}); it cannot be verified, so it is not restored`)
  try {
    const kind = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))?.kind
    if (kind === 'pglite' || kind === 'pg_dump') return kind
  } catch {
    // Reported below, as for any manifest that is not ours.
  }
  throw new BackupError(`${manifestFile} is not a Matchbase backup manifest (format ${MANIFEST_FORMAT})`)
}

/** A default file name in the current directory: matchbase-<kind>-<UTC time>.<ext>. */
export function defaultBackupFile(kind: BackupKind, at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-')
  return kind === 'pglite' ? `matchbase-pglite-${stamp}.tar.gz` : `matchbase-pgdump-${stamp}.dump`
}
