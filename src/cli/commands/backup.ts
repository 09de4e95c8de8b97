// `matchbase backup | backup list | restore | verify-backup`: the embedded database (PGlite dump),
// a server's portable logical backup (pg_dump -Fc), or a server cluster under pgBackRest.
import fs from 'node:fs'
import path from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { loadConfig, type Config } from '../../platform/config'
import { openDatabase } from '../../platform/db/database'
import { backupLogical, restoreLogical, verifyLogical } from '../../platform/ops/backup/logical-backup'
import { BackupError, backupKindOf, defaultBackupFile, manifestPathFor, type BackupManifest } from '../../platform/ops/backup/manifest'
import { backupEmbedded, restoreEmbedded, verifyEmbedded } from '../../platform/ops/backup/pglite-backup'
import {
  BACKUP_TYPES,
  repositoryInfo,
  restoreCluster,
  takeBackup,
  verifyRepository,
  type BackupType,
  type PgBackRest,
} from '../../platform/ops/backup/pgbackrest'

/** A user error (BackupError) becomes its message on stderr and exit code 1, not a stack trace. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args)
    } catch (err) {
      if (!(err instanceof BackupError)) throw err
      console.error(err.message)
      process.exitCode = 1
    }
  }
}

function pgBackRestOf(config: Config, what: string): PgBackRest {
  if (!config.PGBACKREST_STANZA)
    throw new BackupError(
      config.embedded
        ? `${what} with pgBackRest needs a Postgres server (DATABASE_URL) and PGBACKREST_STANZA; the embedded database is backed up to a file: matchbase backup --out FILE`
        : `${what} with pgBackRest needs PGBACKREST_STANZA (and PGBACKREST_CONFIG unless /etc/pgbackrest/pgbackrest.conf); or use a file: matchbase backup --logical`,
    )
  return { stanza: config.PGBACKREST_STANZA, config: config.PGBACKREST_CONFIG }
}

function serverUrl(config: Config, what: string): string {
  // pg_dump shares a snapshot with this session, which a transaction pooler cannot carry: direct URL.
  const url = config.DATABASE_DIRECT_URL ?? config.DATABASE_URL
  if (!url) throw new BackupError(`${what} needs a Postgres server: set DATABASE_URL`)
  return url
}

function summary(m: BackupManifest): string {
  const rows = m.tables.reduce((n, t) => n + t.rows, 0)
  const versions = Object.entries(m.schemaVersions)
    .map(([app, v]) => `${app} ${v.version}`)
    .join(', ')
  return `${m.tables.length} tables, ${rows} rows; schema ${versions || 'not migrated'}; taken ${m.createdAt}`
}

function reportDifferences(file: string, m: BackupManifest, differences: string[]) {
  if (!differences.length) {
    console.log(`${file} matches its manifest: ${summary(m)}`)
    return
  }
  console.error(`${file} does NOT match its manifest (${differences.length} differences):\n  ${differences.join('\n  ')}`)
  process.exitCode = 1
}

const parseTime = (v: string) => {
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be a time, e.g. 2026-05-01T12:00:00Z')
  return d
}

async function embeddedDatabase(config: Config) {
  const dataDir = path.resolve(config.DATA_DIR, 'pglite')
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) throw new BackupError(`No embedded database in ${dataDir} (DATA_DIR) to back up`)
  return openDatabase(config)
}

export function registerBackup(program: Command) {
  const backup = program
    .command('backup')
    .description('back up the database: embedded to a file; a server with pgBackRest, or --logical to a pg_dump file')
    .option('--out <file>', 'file to write (embedded or --logical); default matchbase-<kind>-<time> in this folder')
    .option('--logical', 'server: a portable pg_dump -Fc file with a manifest, instead of pgBackRest')
    .addOption(new Option('--type <type>', 'pgBackRest backup type').choices(BACKUP_TYPES))
    .action(
      guarded(async (opts: { out?: string; logical?: boolean; type?: BackupType }) => {
        const config = loadConfig()
        const now = new Date()
        if (config.embedded) {
          if (opts.logical || opts.type) throw new BackupError('--logical and --type are for a Postgres server (DATABASE_URL)')
          const out = opts.out ?? defaultBackupFile('pglite', now)
          const db = await embeddedDatabase(config)
          try {
            const m = await backupEmbedded(db, out, now)
            console.log(`Backup written to ${out} (${m.file.bytes} bytes), manifest ${manifestPathFor(out)}: ${summary(m)}`)
          } finally {
            await db.close()
          }
          return
        }
        if (opts.logical) {
          if (opts.type) throw new BackupError('--type is for pgBackRest, not --logical')
          const out = opts.out ?? defaultBackupFile('pg_dump', now)
          const m = await backupLogical(serverUrl(config, 'backup --logical'), out, { binDir: config.PG_BIN_DIR }, now)
          console.log(`Backup written to ${out} (${m.file.bytes} bytes), manifest ${manifestPathFor(out)}: ${summary(m)}`)
          return
        }
        if (opts.out) throw new BackupError('--out is for a file backup (embedded or --logical); pgBackRest writes to its repository')
        const set = await takeBackup(pgBackRestOf(config, 'backup'), opts.type ?? 'incr')
        console.log(
          `${set.type} backup ${set.label} done: ${set.databaseBytes} bytes of cluster, ${set.repositoryBytes} bytes added to the repository`,
        )
      }),
    )

  backup
    .command('list')
    .description('list the backup sets in the pgBackRest repository, and the archived WAL range')
    .action(
      guarded(async () => {
        const info = await repositoryInfo(pgBackRestOf(loadConfig(), 'backup list'))
        console.log(
          `status: ${info.status}; cipher: ${info.cipher}; WAL archived: ${info.archive ? `${info.archive.min} .. ${info.archive.max}` : 'none'}`,
        )
        if (!info.sets.length) console.log('No backups yet')
        for (const s of info.sets)
          console.log(
            `${s.label.padEnd(34)} ${s.type.padEnd(4)} ${s.startedAt.toISOString()} .. ${s.stoppedAt.toISOString()}  ${s.repositoryBytes} bytes${s.prior ? `  on ${s.prior}` : ''}`,
          )
      }),
    )

  program
    .command('restore [file]')
    .description(
      'restore a backup file (embedded or pg_dump), or the pgBackRest cluster (stopped) to the latest point, --to TIME or --immediate',
    )
    .option('--force', 'replace a database that is not empty (embedded: the old one is kept aside)')
    .option('--to <time>', 'pgBackRest: recover to this time (ISO 8601), replaying archived WAL', parseTime)
    .option('--immediate', 'pgBackRest: stop as soon as the backup is consistent: exactly the backup, no later WAL')
    .option('--set <label>', 'pgBackRest: restore this backup set (default: the latest one that can reach the target)')
    .action(
      guarded(async (file: string | undefined, opts: { force?: boolean; to?: Date; immediate?: boolean; set?: string }) => {
        const config = loadConfig()
        if (file) {
          if (opts.to || opts.immediate || opts.set)
            throw new BackupError('--to, --immediate and --set are for pgBackRest; a backup file restores as it is')
          const kind = backupKindOf(file)
          if (kind === 'pglite') {
            const r = await restoreEmbedded(config, file, { force: opts.force })
            console.log(`Restored ${file} into ${r.dataDir}, checked against its manifest: ${summary(r.manifest)}`)
            if (r.previousDataDir) console.log(`The database it replaced is kept in ${r.previousDataDir}`)
            return
          }
          const r = await restoreLogical(serverUrl(config, 'Restoring a pg_dump backup'), file, {
            force: opts.force,
            binDir: config.PG_BIN_DIR,
          })
          if (r.differences.length)
            throw new BackupError(`Restored ${file}, but the database differs from the manifest:\n  ${r.differences.join('\n  ')}`)
          console.log(`Restored ${file}, checked against its manifest: ${summary(r.manifest)}`)
          return
        }
        if (opts.force)
          throw new BackupError('--force is for a backup file; pgBackRest restores in place (--delta) into the stopped cluster')
        const plan = await restoreCluster(pgBackRestOf(config, 'restore'), { to: opts.to, immediate: opts.immediate, set: opts.set })
        console.log(
          `Restored backup set ${plan.set} into the cluster's data directory. Start Postgres: it replays archived WAL ` +
            (plan.target
              ? `up to ${plan.target} and then promotes.`
              : opts.immediate
                ? 'only to the end of the backup and promotes.'
                : 'to the end of the archive.'),
        )
      }),
    )

  program
    .command('verify-backup [file]')
    .description('restore a backup file into a scratch database and compare it with its manifest; without a file: pgbackrest verify')
    .action(
      guarded(async (file: string | undefined) => {
        const config = loadConfig()
        if (!file) {
          const result = await verifyRepository(pgBackRestOf(config, 'verify-backup without a file'))
          if (result.ok) console.log(`pgBackRest repository verified:\n${result.report}`)
          else throw new BackupError(`pgBackRest repository is damaged:\n${result.report}`)
          return
        }
        const kind = backupKindOf(file)
        const result =
          kind === 'pglite'
            ? await verifyEmbedded(config, file)
            : await verifyLogical(serverUrl(config, 'Verifying a pg_dump backup'), file, { binDir: config.PG_BIN_DIR })
        reportDifferences(file, result.manifest, result.differences)
      }),
    )
}
