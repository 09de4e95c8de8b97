// The portable backup of a Postgres server: pg_dump -Fc, with the same manifest as the embedded
// backup. The manifest is computed in the very snapshot pg_dump reads (pg_export_snapshot), so
// the two agree even while the API keeps writing.
import { execFile as execFileCb } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import {
  BackupError,
  compareSummaries,
  readVerifiedManifest,
  summarizeDatabase,
  writeManifest,
  type BackupManifest,
  type DatabaseSummary,
} from './manifest'
import type { RestoreResult, VerifyResult } from './pglite-backup'

const execFile = promisify(execFileCb)

/** How pg_dump and pg_restore are found: a folder holding them, or PATH when unset. */
export interface PgTools {
  binDir?: string
}

/** The connection parameters of a URL as libpq environment variables, so no password shows in `ps`. */
function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  }
  if (u.username) env.PGUSER = decodeURIComponent(u.username)
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password)
  const sslmode = u.searchParams.get('sslmode')
  if (sslmode) env.PGSSLMODE = sslmode
  return env
}

async function runTool(tools: PgTools, tool: 'pg_dump' | 'pg_restore', args: string[], url: string) {
  const bin = tools.binDir ? path.join(tools.binDir, tool) : tool
  try {
    return await execFile(bin, args, { env: libpqEnv(url), maxBuffer: 64 * 1024 * 1024 })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT')
      throw new BackupError(
        `${tool} was not found${tools.binDir ? ` in ${tools.binDir}` : ' on PATH'}; install the PostgreSQL client tools`,
      )
    throw new BackupError(`${tool} failed: ${(e.stderr || e.message).trim()}`)
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
  } catch (err) {
    throw new BackupError(`Cannot connect to the database: ${(err as Error).message}`)
  }
  return client
}

/** pg_dump -Fc of the database at url into outFile, and its manifest beside it. */
export async function backupLogical(url: string, outFile: string, tools: PgTools = {}, now = new Date()): Promise<BackupManifest> {
  if (fs.existsSync(outFile)) throw new BackupError(`${outFile} already exists; choose another --out`)
  if (!fs.existsSync(path.dirname(path.resolve(outFile))))
    throw new BackupError(`The folder ${path.dirname(path.resolve(outFile))} does not exist`)
  const client = await connect(url)
  let summary: DatabaseSummary
  try {
    await client.query('begin isolation level repeatable read read only')
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id
    // pg_dump imports the snapshot while this transaction holds it open; summarising meanwhile
    // reads the same snapshot, so manifest and dump describe one moment.
    const dump = runTool(tools, 'pg_dump', ['--format=custom', `--snapshot=${snapshot}`, `--file=${outFile}`], url)
    summary = await summarizeDatabase(client)
    await dump
    await client.query('commit')
  } catch (err) {
    fs.rmSync(outFile, { force: true })
    throw err
  } finally {
    await client.end().catch(() => {})
  }
  return writeManifest(outFile, 'pg_dump', summary, now)
}

async function readDumpManifest(file: string): Promise<BackupManifest> {
  const manifest = await readVerifiedManifest(file)
  if (manifest.kind !== 'pg_dump') throw new BackupError(`${file} is a ${manifest.kind} backup, not a pg_dump of a Postgres server`)
  return manifest
}

async function summarize(url: string): Promise<DatabaseSummary> {
  const client = await connect(url)
  try {
    await client.query('begin isolation level repeatable read read only')
    const summary = await summarizeDatabase(client)
    await client.query('commit')
    return summary
  } finally {
    await client.end().catch(() => {})
  }
}

const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres'

function databaseUrl(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${encodeURIComponent(database)}`
  return u.toString()
}

/**
 * Restores the dump into a scratch database created beside the one at url (the role needs
 * CREATEDB), compares it with the manifest and drops it again.
 */
export async function verifyLogical(url: string, file: string, tools: PgTools = {}): Promise<VerifyResult> {
  const manifest = await readDumpManifest(file)
  const scratch = `matchbase_verify_${randomBytes(6).toString('hex')}`
  const admin = await connect(url)
  try {
    try {
      await admin.query(`create database ${scratch}`)
    } catch (err) {
      throw new BackupError(`Cannot create the scratch database ${scratch} to verify into: ${(err as Error).message}`)
    }
    const scratchUrl = databaseUrl(url, scratch)
    await runTool(tools, 'pg_restore', ['--exit-on-error', '--single-transaction', `--dbname=${scratch}`, file], scratchUrl)
    return { manifest, differences: compareSummaries(manifest, await summarize(scratchUrl)) }
  } finally {
    await admin.query(`drop database if exists ${scratch} with (force)`).catch(() => {})
    await admin.end().catch(() => {})
  }
}

/** Drops the database at url (ending its sessions) and creates it again, empty, from the maintenance database. */
async function recreateDatabase(url: string): Promise<void> {
  const name = pg.escapeIdentifier(databaseName(url))
  const admin = await connect(databaseUrl(url, 'postgres'))
  try {
    await admin.query(`drop database ${name} with (force)`)
    await admin.query(`create database ${name}`)
  } catch (err) {
    throw new BackupError(`Cannot replace the database ${name} before restoring: ${(err as Error).message}`)
  } finally {
    await admin.end().catch(() => {})
  }
}

/** Tables in the database outside Postgres' own schemas: a non-empty target is refused without force. */
async function userTableCount(url: string): Promise<number> {
  const client = await connect(url)
  try {
    const r = await client.query<{ n: number | string }>(
      `select count(*) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`,
    )
    return Number(r.rows[0]!.n)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * pg_restore into the database at url, in one transaction (all or nothing), then a comparison
 * with the manifest. A database that already has tables is refused unless force, which drops the
 * database and creates it empty first: pg_restore's own --clean cannot drop a partition's
 * inherited keys (the partitioned logs), and an empty database holds exactly the backup's rows.
 */
export async function restoreLogical(
  url: string,
  file: string,
  opts: { force?: boolean } & PgTools = {},
): Promise<Omit<RestoreResult, 'dataDir'>> {
  const manifest = await readDumpManifest(file)
  const existing = await userTableCount(url)
  if (existing > 0 && !opts.force)
    throw new BackupError(`The target database already has ${existing} tables; restore refuses to overwrite it without --force`)
  if (existing > 0) await recreateDatabase(url)
  await runTool(opts, 'pg_restore', ['--exit-on-error', '--single-transaction', `--dbname=${databaseName(url)}`, file], url)
  const differences = compareSummaries(manifest, await summarize(url))
  return { manifest, differences }
}
