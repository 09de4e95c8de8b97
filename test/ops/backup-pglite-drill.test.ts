// Drill (4), the embedded database: backup -> write more -> restore -> exactly the rows of the
// backup, verify-backup against the manifest, and bad input (missing, damaged or foreign file, a
// data directory that is already in use). Runs in the PGlite pass only, so once per CI run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile as execFileCb } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../../src/platform/config'
import { openDatabase } from '../../src/platform/db/database'
import { manifestPathFor, type BackupManifest } from '../../src/platform/ops/backup/manifest'
import { backupEmbedded, restoreEmbedded, verifyEmbedded } from '../../src/platform/ops/backup/pglite-backup'
import { aClient } from '../support/onedesigner'
import { createTestEnv, onServer, type TestEnv } from '../support/test-env'

const execFile = promisify(execFileCb)
const describePglite = onServer ? describe.skip : describe
if (onServer) console.warn('[backup drill: PGlite] skipped: the embedded-database drill runs in the PGlite pass (no TEST_DATABASE_URL)')

describePglite('backup drill: embedded PGlite', () => {
  let env: TestEnv
  let dir: string
  let file: string
  let manifest: BackupManifest
  const backupEmails: string[] = []
  const figures: Record<string, string> = {}

  const emailsIn = async (db: TestEnv['platform']['db']) =>
    (await db.kysely.selectFrom('onedesigner.clients').select('email').orderBy('email').execute()).map((r) => r.email)

  beforeAll(async () => {
    env = await createTestEnv()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-backup-'))
    file = path.join(dir, 'backup.tar.gz')
    for (let i = 0; i < 12; i++) backupEmails.push((await aClient(env.platform, { credits: i })).email)
    const started = Date.now()
    manifest = await backupEmbedded(env.platform.db, file)
    figures.backup = `${Date.now() - started} ms, ${fs.statSync(file).size} bytes`
    // Written after the backup: a restore must not bring these back.
    for (let i = 0; i < 5; i++) await aClient(env.platform)
  })

  afterAll(async () => {
    console.log(`[backup drill: PGlite] figures ${JSON.stringify(figures)}`)
    await env?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('writes a manifest with the schema version of every app and a count and checksum per table', () => {
    expect(manifest.kind).toBe('pglite')
    expect(manifest.schemaVersions.platform!.migrations).toBeGreaterThan(0)
    expect(manifest.schemaVersions.onedesigner!.version).toMatch(/^\d+$/)
    const clients = manifest.tables.find((t) => t.table === 'onedesigner.clients')!
    expect(clients.rows).toBe(12)
    expect(clients.checksum).toMatch(/^[0-9a-f]{32}$/)
    expect(fs.existsSync(manifestPathFor(file))).toBe(true)
  })

  it('backup -> write more -> restore: exactly the rows of the backup, in the configured data dir', async () => {
    const dataDir = path.join(dir, 'data')
    const config = testConfig({ DATA_DIR: dataDir })
    const started = Date.now()
    const result = await restoreEmbedded(config, file)
    figures.rto = `${Date.now() - started} ms (restore with its own check against the manifest)`
    expect(result.differences).toEqual([])
    expect(result.dataDir).toBe(path.resolve(dataDir, 'pglite'))
    const restored = await openDatabase(config)
    try {
      expect(await emailsIn(restored)).toEqual([...backupEmails].sort())
    } finally {
      await restored.close()
    }

    // The data dir now holds a database: a second restore is refused, --force keeps the old one aside.
    await expect(restoreEmbedded(config, file)).rejects.toThrow(/already holds a database.*--force/)
    const forced = await restoreEmbedded(config, file, { force: true })
    expect(forced.previousDataDir && fs.existsSync(path.join(forced.previousDataDir, 'PG_VERSION'))).toBe(true)
  })

  it('verify-backup restores into a scratch instance and finds it equal to the manifest', async () => {
    const started = Date.now()
    const result = await verifyEmbedded(env.config, file)
    figures.verify = `${Date.now() - started} ms`
    expect(result.differences).toEqual([])
  })

  it('verify-backup reports each table whose contents differ from the manifest', async () => {
    const edited = path.join(dir, 'edited.tar.gz')
    fs.copyFileSync(file, edited)
    const claims = JSON.parse(fs.readFileSync(manifestPathFor(file), 'utf8')) as BackupManifest
    const clients = claims.tables.find((t) => t.table === 'onedesigner.clients')!
    clients.checksum = '0'.repeat(32)
    claims.tables.find((t) => t.table === 'onedesigner.designers')!.rows += 1
    claims.file.name = 'edited.tar.gz'
    fs.writeFileSync(manifestPathFor(edited), JSON.stringify(claims))
    const { differences } = await verifyEmbedded(env.config, edited)
    expect(differences).toEqual([
      'table onedesigner.clients: same row count (12) but different contents (checksum)',
      expect.stringMatching(/^table onedesigner\.designers: \d+ rows in the backup, \d+ after restore$/),
    ])
  })

  it('refuses a missing file, a damaged file and a file without manifest, before restoring anything', async () => {
    const config = testConfig({ DATA_DIR: path.join(dir, 'untouched') })
    await expect(verifyEmbedded(env.config, path.join(dir, 'nope.tar.gz'))).rejects.toThrow(/No backup file at .*nope\.tar\.gz/)

    const damaged = path.join(dir, 'damaged.tar.gz')
    const bytes = fs.readFileSync(file)
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff
    fs.writeFileSync(damaged, bytes)
    fs.copyFileSync(manifestPathFor(file), manifestPathFor(damaged))
    await expect(verifyEmbedded(env.config, damaged)).rejects.toThrow(/damaged\.tar\.gz is corrupt: its sha256 is/)
    await expect(restoreEmbedded(config, damaged)).rejects.toThrow(/is corrupt/)
    expect(fs.existsSync(path.join(dir, 'untouched', 'pglite'))).toBe(false)

    // A damaged file whose manifest was rewritten to match still cannot pass as a database.
    const truncated = path.join(dir, 'truncated.tar.gz')
    fs.writeFileSync(truncated, bytes.subarray(0, 4096))
    const claims = JSON.parse(fs.readFileSync(manifestPathFor(file), 'utf8')) as BackupManifest
    const { sha256OfFile } = await import('../../src/platform/ops/backup/manifest')
    claims.file = { name: 'truncated.tar.gz', bytes: 4096, sha256: await sha256OfFile(truncated) }
    fs.writeFileSync(manifestPathFor(truncated), JSON.stringify(claims))
    await expect(restoreEmbedded(config, truncated)).rejects.toThrow(/truncated\.tar\.gz is not a complete gzip tarball.*not restored/)
    expect(fs.existsSync(path.join(dir, 'untouched', 'pglite'))).toBe(false)

    const bare = path.join(dir, 'bare.tar.gz')
    fs.copyFileSync(file, bare)
    await expect(verifyEmbedded(env.config, bare)).rejects.toThrow(/No manifest beside/)
  })

  it('the CLI: backup writes a file that verifies', { timeout: 180_000 }, async () => {
    // The database the restore test put in place (it outlives that test, in the same folder).
    const cliData = path.join(dir, 'data')
    const cliEnv = { ...process.env, DATA_DIR: cliData, DATABASE_URL: '', LOG_LEVEL: 'silent', NODE_ENV: 'test' }
    const cli = (args: string[]) =>
      execFile('node_modules/.bin/tsx', ['src/cli/main.ts', ...args], { env: cliEnv }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      )
    const out = path.join(dir, 'cli.tar.gz')
    const backup = await cli(['backup', '--out', out])
    expect(backup.stderr).toBe('')
    expect(backup.code).toBe(0)
    expect(backup.stdout).toMatch(/tables, .* rows/)
    expect((await verifyEmbedded(env.config, out)).differences).toEqual([])
    // A missing file's message and exit code 1 come from main.ts's handling of user errors, as
    // for every command (src/platform/ops/roles/roles.test.ts runs that path; the message itself
    // is checked above, in process).
  })
})
