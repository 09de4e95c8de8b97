// Drill for the portable backup of a server: pg_dump -Fc with a manifest. backup -> write more ->
// restore into an empty database -> exactly the rows of the backup; verify-backup restores into a
// scratch database, compares and drops it; a damaged or missing file is refused before pg_restore
// runs. Needs the Postgres server of the server pass (TEST_DATABASE_URL); runs there only.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupLogical, restoreLogical, verifyLogical } from '../../src/platform/ops/backup/logical-backup'
import { manifestPathFor, type BackupManifest } from '../../src/platform/ops/backup/manifest'
import { aClient } from '../support/onedesigner'
import { behindPooler, createTestEnv, directServerUrl, onServer, type TestEnv } from '../support/test-env'
import { withDatabase } from '../support/global-setup'

function pgToolsMissing(): string | undefined {
  try {
    execFileSync('pg_dump', ['--version'], { stdio: 'ignore' })
    execFileSync('pg_restore', ['--version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'pg_dump / pg_restore are not on PATH (Debian: postgresql-client)'
  }
}

const skipReason = !onServer
  ? 'a pg_dump backup needs a Postgres server: runs in the server pass (TEST_DATABASE_URL set)'
  : behindPooler
    ? 'the run through PgBouncer: pg_dump shares a snapshot with a session, which a transaction pooler cannot carry (it ran in the direct server pass)'
    : pgToolsMissing()
if (skipReason) console.warn(`[backup drill: pg_dump] skipped: ${skipReason}`)
const describeDrill = skipReason ? describe.skip : describe

describeDrill(`backup drill: logical pg_dump of a server${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let env: TestEnv
  let dir: string
  let file: string
  let manifest: BackupManifest
  let admin: pg.Client
  const targetDb = `mb_restore_${process.pid}_${Date.now() % 100000}`
  const backupEmails: string[] = []
  const figures: Record<string, string> = {}

  beforeAll(async () => {
    env = await createTestEnv()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-pgdump-'))
    file = path.join(dir, 'backup.dump')
    for (let i = 0; i < 12; i++) backupEmails.push((await aClient(env.platform, { credits: i })).email)
    const started = Date.now()
    manifest = await backupLogical(env.databaseDirectUrl!, file)
    figures.backup = `${Date.now() - started} ms, ${fs.statSync(file).size} bytes`
    for (let i = 0; i < 5; i++) await aClient(env.platform)
    admin = new pg.Client({ connectionString: directServerUrl })
    await admin.connect()
    await admin.query(`create database ${targetDb}`)
  })

  afterAll(async () => {
    console.log(`[backup drill: pg_dump] figures ${JSON.stringify(figures)}`)
    await admin?.query(`drop database if exists ${targetDb} with (force)`)
    await admin?.end()
    await env?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('backup -> write more -> restore: exactly the rows of the backup', async () => {
    expect(manifest.kind).toBe('pg_dump')
    expect(manifest.tables.find((t) => t.table === 'onedesigner.clients')!.rows).toBe(12)
    const url = withDatabase(directServerUrl!, targetDb)
    const started = Date.now()
    const result = await restoreLogical(url, file)
    figures.rto = `${Date.now() - started} ms (pg_restore and the check against the manifest)`
    expect(result.differences).toEqual([])
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const rows = await client.query<{ email: string }>('select email from onedesigner.clients order by email')
      expect(rows.rows.map((r) => r.email)).toEqual([...backupEmails].sort())
    } finally {
      await client.end()
    }
    // The target now has tables: without --force it is left alone.
    await expect(restoreLogical(url, file)).rejects.toThrow(/already has \d+ tables.*--force/)
    expect((await restoreLogical(url, file, { force: true })).differences).toEqual([])
  })

  it('verify-backup restores into a scratch database, finds it equal, and drops it', async () => {
    const started = Date.now()
    const result = await verifyLogical(env.databaseDirectUrl!, file)
    figures.verify = `${Date.now() - started} ms`
    expect(result.differences).toEqual([])
    const left = await admin.query(`select datname from pg_database where datname like 'matchbase\\_verify\\_%'`)
    expect(left.rows).toEqual([])
  })

  it('refuses a missing or damaged file before pg_restore runs', async () => {
    await expect(verifyLogical(env.databaseDirectUrl!, path.join(dir, 'nope.dump'))).rejects.toThrow(/No backup file at/)
    const damaged = path.join(dir, 'damaged.dump')
    const bytes = fs.readFileSync(file)
    bytes[bytes.length - 100]! ^= 0xff
    fs.writeFileSync(damaged, bytes)
    fs.copyFileSync(manifestPathFor(file), manifestPathFor(damaged))
    await expect(verifyLogical(env.databaseDirectUrl!, damaged)).rejects.toThrow(/damaged\.dump is corrupt: its sha256 is/)
    await expect(restoreLogical(withDatabase(directServerUrl!, targetDb), damaged, { force: true })).rejects.toThrow(/is corrupt/)
  })
})
