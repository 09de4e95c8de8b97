// Backup of the embedded database: PGlite's own dumpDataDir (a gzip tarball of its data directory,
// taken by the one process that has it open, so it is consistent) plus the manifest beside it.
import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Config } from '../../config'
import { openDatabase, type Database } from '../../db/database'
import {
  BackupError,
  compareSummaries,
  inSnapshot,
  readVerifiedManifest,
  summarizeDatabase,
  writeManifest,
  type BackupManifest,
} from './manifest'

export async function backupEmbedded(db: Database, outFile: string, now = new Date()): Promise<BackupManifest> {
  if (!db.pglite) throw new BackupError('This is not an embedded database; use --logical or pgBackRest for a Postgres server')
  assertWritable(outFile)
  const summary = await inSnapshot(db.pool, summarizeDatabase)
  // Nothing else writes to this PGlite (it is single-process), so the dump matches the summary.
  const dump = await db.pglite.dumpDataDir('gzip')
  fs.writeFileSync(outFile, Buffer.from(await dump.arrayBuffer()))
  return writeManifest(outFile, 'pglite', summary, now)
}

export interface VerifyResult {
  manifest: BackupManifest
  /** Empty when the restored data equals the manifest. */
  differences: string[]
}

/** Restores the file into a throwaway in-memory PGlite and compares it with its manifest. */
export async function verifyEmbedded(config: Config, file: string): Promise<VerifyResult> {
  const manifest = await readPgliteManifest(file)
  const scratch = await loadInto(config, file, 'memory://')
  try {
    return { manifest, differences: compareSummaries(manifest, await inSnapshot(scratch.pool, summarizeDatabase)) }
  } finally {
    await scratch.close()
  }
}

export interface RestoreResult extends VerifyResult {
  dataDir: string
  /** Where the data directory that was replaced now lies (--force), if there was one. */
  previousDataDir?: string
}

/**
 * Restores into the configured embedded data directory (DATA_DIR/pglite). A non-empty one is
 * refused unless force; with force it is kept aside as pglite.before-restore-<time>, not deleted.
 * The restore is built in a sibling folder and checked against the manifest before it replaces
 * anything, so a failed or mismatching restore leaves the current database untouched.
 */
export async function restoreEmbedded(config: Config, file: string, opts: { force?: boolean; now?: Date } = {}): Promise<RestoreResult> {
  if (!config.embedded)
    throw new BackupError('DATABASE_URL is set: a PGlite backup restores into the embedded database only (unset DATABASE_URL)')
  const manifest = await readPgliteManifest(file)
  const dataDir = path.resolve(config.DATA_DIR, 'pglite')
  const occupied = fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0
  if (occupied && !opts.force)
    throw new BackupError(
      `${dataDir} already holds a database; restore refuses to replace it without --force (the old one is then kept aside)`,
    )
  // openDatabase keeps an on-disk PGlite in <folder>/pglite, so the staging copy is <staging>/pglite.
  const staging = path.resolve(config.DATA_DIR, '.restoring')
  fs.rmSync(staging, { recursive: true, force: true })
  let differences: string[]
  try {
    const restored = await loadInto(config, file, staging)
    try {
      differences = compareSummaries(manifest, await inSnapshot(restored.pool, summarizeDatabase))
    } finally {
      await restored.close()
    }
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true })
    throw err
  }
  if (differences.length) {
    fs.rmSync(staging, { recursive: true, force: true })
    throw new BackupError(`The restored data differs from the manifest; nothing was replaced:\n  ${differences.join('\n  ')}`)
  }
  let previousDataDir: string | undefined
  if (fs.existsSync(dataDir)) {
    if (occupied) {
      previousDataDir = `${dataDir}.before-restore-${(opts.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}`
      fs.renameSync(dataDir, previousDataDir)
    } else fs.rmdirSync(dataDir)
  }
  fs.renameSync(path.join(staging, 'pglite'), dataDir)
  fs.rmSync(staging, { recursive: true, force: true })
  return { manifest, differences, dataDir, previousDataDir }
}

async function readPgliteManifest(file: string): Promise<BackupManifest> {
  const manifest = await readVerifiedManifest(file)
  if (manifest.kind !== 'pglite')
    throw new BackupError(`${file} is a ${manifest.kind} backup of a Postgres server, not of the embedded database`)
  await assertCompleteGzip(file)
  return manifest
}

/**
 * Reads the whole gzip stream once. PGlite unpacks the tarball in the background and a damaged
 * stream surfaces there as an unhandled error, which would end the process instead of the restore.
 */
async function assertCompleteGzip(file: string) {
  const discard = new Writable({ write: (_chunk, _enc, done) => done() })
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), discard)
  } catch (err) {
    throw new BackupError(`${file} is not a complete gzip tarball (${(err as Error).message}); it is not restored`)
  }
}

/** Opens a PGlite started from the backup's tarball: in memory, or on disk in <parent>/pglite. */
async function loadInto(config: Config, file: string, parent: string): Promise<Database> {
  try {
    return await openDatabase({ ...config, DATABASE_URL: undefined }, { dataDir: parent, loadDataDir: new Blob([fs.readFileSync(file)]) })
  } catch (err) {
    throw new BackupError(`${file} could not be loaded as a PGlite data directory: ${(err as Error).message}`)
  }
}

function assertWritable(outFile: string) {
  const dir = path.dirname(path.resolve(outFile))
  if (!fs.existsSync(dir)) throw new BackupError(`The folder ${dir} does not exist`)
  if (fs.existsSync(outFile)) throw new BackupError(`${outFile} already exists; choose another --out`)
}
