// Drills for server Postgres with pgBackRest, on a cluster of the suite's own (initdb + pg_ctl on a
// free port, removed afterwards) with WAL archiving into an encrypted repository:
//   (1) backup -> write more -> restore the backup -> exactly the rows of the backup;
//   (2) point-in-time recovery: write, note T, write more, restore to T -> exactly the rows
//       committed before T; a target before the first backup is refused before anything changes;
//   (3) a damaged file in the repository: `verify` reports it and a restore fails, never silently.
// It runs once per CI run, in the server pass (TEST_DATABASE_URL set, not through PgBouncer); it
// does not use that server, only its own cluster. Durations are printed for docs/operations.md.
import { execFile as execFileCb, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BackupError } from '../../src/platform/ops/backup/manifest'
import { repositoryInfo, restoreCluster, takeBackup, verifyRepository, type PgBackRest } from '../../src/platform/ops/backup/pgbackrest'
import { clusterUnavailableReason, createCluster, type PgCluster } from '../support/pg-cluster'
import { behindPooler, onServer } from '../support/test-env'

const execFile = promisify(execFileCb)
const isRoot = process.getuid?.() === 0

function pgbackrestMissing(): string | undefined {
  try {
    execFileSync('pgbackrest', ['version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'pgbackrest is not installed (Debian: apt-get install pgbackrest)'
  }
}

const skipReason = !onServer
  ? 'runs in the server pass only (TEST_DATABASE_URL set), so that it runs once per CI run; it starts a cluster of its own'
  : behindPooler
    ? 'the run through PgBouncer: this drill uses a private cluster the pooler does not front (it ran in the direct server pass)'
    : (clusterUnavailableReason() ?? pgbackrestMissing())
if (skipReason) console.warn(`[backup drill: pgBackRest] skipped: ${skipReason}`)
const describeDrill = skipReason ? describe.skip : describe

const STANZA = 'matchbase'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describeDrill(`backup drills: pgBackRest with WAL archiving${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let cluster: PgCluster
  let pb: PgBackRest
  let repoDir: string
  const figures: Record<string, string> = {}

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: cluster.url() })
    await client.connect()
    try {
      return (await client.query<T>(text, values)).rows
    } finally {
      await client.end()
    }
  }
  const notes = async () => (await query<{ note: string }>('select note from drill.items order by id')).map((r) => r.note)
  const write = (prefix: string, n: number) =>
    query(`insert into drill.items (note) select $1 || '-' || i from generate_series(1, $2) i`, [prefix, n])
  const rowsNamed = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)

  /** Starts the restored cluster and waits until recovery has reached its target and promoted. */
  async function startAndAwaitPromotion() {
    await cluster.start()
    const deadline = Date.now() + 30_000
    for (;;) {
      const [row] = await query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering').catch(() => [{ recovering: true }])
      if (!row!.recovering) return
      if (Date.now() > deadline) throw new Error(`the restored cluster did not promote within 30 s:\n${cluster.log().slice(-3000)}`)
      await sleep(100)
    }
  }

  /** Switches to a new WAL segment and waits until archive_command has pushed it to the repository. */
  async function archiveCurrentWal(): Promise<number> {
    const started = Date.now()
    const [{ segment }] = (await query<{ segment: string }>('select pg_walfile_name(pg_switch_wal()) as segment')) as [{ segment: string }]
    for (;;) {
      const [row] = await query<{ last: string | null }>('select last_archived_wal as last from pg_stat_archiver')
      if (row?.last && row.last.slice(8) >= segment.slice(8)) return Date.now() - started
      if (Date.now() - started > 30_000)
        throw new Error(`WAL segment ${segment} was not archived within 30 s:\n${cluster.log().slice(-3000)}`)
      await sleep(50)
    }
  }

  beforeAll(async () => {
    const started = Date.now()
    cluster = await createCluster()
    repoDir = path.join(cluster.dir, 'repo')
    const config = path.join(cluster.dir, 'pgbackrest.conf')
    // The configuration docs/ops/pgbackrest.conf.example shows, with this cluster's paths.
    fs.writeFileSync(
      config,
      [
        '[global]',
        `repo1-path=${repoDir}`,
        'repo1-cipher-type=aes-256-cbc',
        'repo1-cipher-pass=drill-only-passphrase-not-a-secret',
        'repo1-retention-full-type=time',
        'repo1-retention-full=30',
        'repo1-retention-diff=168',
        'compress-type=zst',
        'start-fast=y',
        `log-path=${cluster.dir}/pgbackrest-log`,
        `lock-path=${cluster.dir}/pgbackrest-lock`,
        `spool-path=${cluster.dir}/pgbackrest-spool`,
        'log-level-file=off',
        'log-level-console=warn',
        // A damaged file fails at once instead of after pgBackRest's retries (15 s apart).
        'job-retry=0',
        '',
        `[${STANZA}]`,
        `pg1-path=${cluster.dataDir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.dir}`,
        'pg1-user=postgres',
        '',
      ].join('\n'),
      { mode: 0o640 },
    )
    if (isRoot) {
      const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, 'postgres'], { encoding: 'utf8' }).trim()))
      fs.chownSync(config, uid!, gid!)
    }
    fs.appendFileSync(
      path.join(cluster.dataDir, 'postgresql.conf'),
      `\narchive_mode = on\narchive_command = 'pgbackrest --config=${config} --stanza=${STANZA} archive-push %p'\narchive_timeout = 300\n`,
    )
    await cluster.stop()
    await cluster.start()
    pb = { stanza: STANZA, config, command: isRoot ? ['runuser', '-u', 'postgres', '--', 'pgbackrest'] : ['pgbackrest'] }
    const [bin, ...prefix] = pb.command!
    await execFile(bin!, [...prefix, `--config=${config}`, `--stanza=${STANZA}`, 'stanza-create'])
    await query('create schema drill; create table drill.items (id bigserial primary key, note text not null)')
    figures.setup = `${Date.now() - started} ms`
  })

  afterAll(async () => {
    console.log(`[backup drill: pgBackRest] figures ${JSON.stringify(figures)}`)
    await cluster?.destroy()
  })

  it('drill 1: backup, write more, restore the backup: exactly the rows of the backup', async () => {
    const started = Date.now()
    await write('a', 50)
    const t0 = Date.now()
    const set = await takeBackup(pb, 'full')
    figures.fullBackup = `${Date.now() - t0} ms`
    expect(set.type).toBe('full')
    await write('b', 30)

    await cluster.stop()
    const t1 = Date.now()
    const plan = await restoreCluster(pb, { immediate: true })
    await startAndAwaitPromotion()
    figures.rtoRestoreBackup = `${Date.now() - t1} ms`
    expect(plan.set).toBe(set.label)
    expect(await notes()).toEqual(rowsNamed('a', 50))
    figures.drill1 = `${Date.now() - started} ms`
  })

  it('drill 2: point-in-time recovery to T: exactly the rows committed before T', async () => {
    const started = Date.now()
    const t0 = Date.now()
    const set = await takeBackup(pb, 'incr')
    figures.incrBackup = `${Date.now() - t0} ms`
    expect(set.type).toBe('incr')
    // pgBackRest records the backup's end in whole seconds: T must lie past it.
    await sleep(Math.max(0, set.stoppedAt.getTime() + 1_100 - Date.now()))
    await write('c', 20)
    const [{ t }] = (await query<{ t: Date }>('select clock_timestamp() as t')) as [{ t: Date }]
    await sleep(50)
    await write('d', 25)
    figures.walArchiveLatency = `${await archiveCurrentWal()} ms`

    // Bad targets are refused before anything is touched: the cluster keeps running.
    const first = (await repositoryInfo(pb)).sets[0]!
    await expect(restoreCluster(pb, { to: new Date(first.startedAt.getTime() - 60_000) })).rejects.toThrow(
      /before the first backup finished.*earliest time this repository can restore to/,
    )
    await expect(restoreCluster(pb, { to: new Date(Date.now() + 3_600_000) })).rejects.toThrow(/in the future/)
    await expect(restoreCluster(pb, { to: t })).rejects.toThrow(/unable to restore while PostgreSQL is running/)
    expect(await notes()).toHaveLength(50 + 20 + 25)

    await cluster.stop()
    const t1 = Date.now()
    const plan = await restoreCluster(pb, { to: t })
    await startAndAwaitPromotion()
    figures.rtoPointInTime = `${Date.now() - t1} ms`
    expect(plan.set).toBe(set.label)
    expect(await notes()).toEqual([...rowsNamed('a', 50), ...rowsNamed('c', 20)])
    figures.drill2 = `${Date.now() - started} ms`
  })

  it('drill 3: a damaged repository file is found by verify and fails the restore', async () => {
    const started = Date.now()
    const healthy = await verifyRepository(pb)
    expect(healthy.ok, healthy.report).toBe(true)

    const full = (await repositoryInfo(pb)).sets.find((s) => s.type === 'full')!
    const files = fs
      .readdirSync(path.join(repoDir, 'backup', STANZA, full.label, 'pg_data'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)
    const victim = files[0]!
    const fd = fs.openSync(victim, 'r+')
    fs.writeSync(fd, Buffer.from('damaged'), 0, 7, 64)
    fs.closeSync(fd)

    const damaged = await verifyRepository(pb)
    expect(damaged.ok).toBe(false)
    expect(damaged.report).toMatch(/invalid checksum/)
    expect(damaged.report).toContain(path.relative(path.join(repoDir, 'backup', STANZA), victim))

    // A lost data directory restored from the damaged set: the restore fails, it does not
    // hand back a cluster with a broken file in it.
    await cluster.stop()
    for (const entry of fs.readdirSync(cluster.dataDir)) fs.rmSync(path.join(cluster.dataDir, entry), { recursive: true, force: true })
    const failure = await restoreCluster(pb, { set: full.label, immediate: true }).catch((e) => e)
    expect(failure).toBeInstanceOf(BackupError)
    expect((failure as Error).message).toMatch(/pgbackrest restore failed: .*ERROR/)
    figures.drill3 = `${Date.now() - started} ms`
  })
})
