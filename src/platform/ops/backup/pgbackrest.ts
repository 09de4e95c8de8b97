// pgBackRest for a Postgres server the operator configured (pgbackrest.conf: the stanza, the
// encrypted repository, retention; postgresql.conf: archive_command = pgbackrest archive-push).
// Matchbase only drives it: backup, info, restore with a checked target, verify. The backup files
// themselves, WAL archiving, encryption and expiry are pgBackRest's.
import { execFile as execFileCb } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { BackupError } from './manifest'

const execFile = promisify(execFileCb)

export interface PgBackRest {
  stanza: string
  /** pgbackrest.conf; pgBackRest's default (/etc/pgbackrest/pgbackrest.conf) when unset. */
  config?: string
  /** The command to run, e.g. ['runuser', '-u', 'postgres', '--', 'pgbackrest']; default ['pgbackrest']. */
  command?: string[]
}

export type BackupType = 'full' | 'diff' | 'incr'
export const BACKUP_TYPES: BackupType[] = ['full', 'diff', 'incr']

export interface BackupSet {
  label: string
  type: BackupType
  startedAt: Date
  /** When the backup finished: the earliest time it can be restored to. */
  stoppedAt: Date
  /** Size of the cluster it copied, and what it took in the repository (compressed, deduplicated). */
  databaseBytes: number
  repositoryBytes: number
  /** The backup a diff or incr builds on. */
  prior?: string
}

export interface RepositoryInfo {
  status: string
  cipher: string
  sets: BackupSet[]
  /** The WAL segments archived, oldest and newest. */
  archive?: { min: string; max: string }
}

async function run(pb: PgBackRest, command: string, args: string[] = []): Promise<string> {
  const [bin, ...prefix] = pb.command ?? ['pgbackrest']
  // pgBackRest refuses a relative --config.
  const argv = [...prefix, `--stanza=${pb.stanza}`, ...(pb.config ? [`--config=${path.resolve(pb.config)}`] : []), ...args, command]
  try {
    const { stdout } = await execFile(bin!, argv, { maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string }
    if (e.code === 'ENOENT') throw new BackupError(`${bin} was not found on PATH; install pgBackRest (Debian: apt-get install pgbackrest)`)
    const output = `${e.stderr ?? ''}\n${e.stdout ?? ''}`
    const errors = output.split('\n').filter((l) => /ERROR:/.test(l))
    throw new BackupError(`pgbackrest ${command} failed: ${(errors.length ? errors.join('\n') : output || e.message).trim()}`)
  }
}

interface InfoJson {
  name: string
  status: { code: number; message: string }
  cipher: string
  archive?: { min: string | null; max: string | null }[]
  backup?: {
    label: string
    type: BackupType
    timestamp: { start: number; stop: number }
    info: { size: number; repository: { delta: number } }
    prior: string | null
  }[]
}

export async function repositoryInfo(pb: PgBackRest): Promise<RepositoryInfo> {
  const parsed = JSON.parse(await run(pb, 'info', ['--output=json'])) as InfoJson[]
  const stanza = parsed.find((s) => s.name === pb.stanza)
  if (!stanza) throw new BackupError(`pgBackRest knows no stanza ${pb.stanza}`)
  const archive = stanza.archive?.find((a) => a.min && a.max)
  return {
    status: stanza.status.message,
    cipher: stanza.cipher,
    archive: archive ? { min: archive.min!, max: archive.max! } : undefined,
    sets: (stanza.backup ?? []).map((b) => ({
      label: b.label,
      type: b.type,
      startedAt: new Date(b.timestamp.start * 1000),
      stoppedAt: new Date(b.timestamp.stop * 1000),
      databaseBytes: b.info.size,
      repositoryBytes: b.info.repository.delta,
      prior: b.prior ?? undefined,
    })),
  }
}

/** Takes a backup (pgBackRest falls back to full when there is none to build a diff or incr on). */
export async function takeBackup(pb: PgBackRest, type: BackupType): Promise<BackupSet> {
  if (!BACKUP_TYPES.includes(type)) throw new BackupError(`--type must be one of ${BACKUP_TYPES.join(', ')}`)
  await run(pb, 'backup', [`--type=${type}`])
  const { sets } = await repositoryInfo(pb)
  return sets[sets.length - 1]!
}

export interface RestorePlan {
  /** The backup set restored. */
  set: string
  /** The recovery target, as given to Postgres; undefined: replay every archived WAL segment. */
  target?: string
  args: string[]
}

// The stop time pgBackRest records is cut to whole seconds; a target in that second may lie
// before the backup became consistent, which Postgres refuses only after the data is replaced.
const STOP_MARGIN_MS = 1_000

/**
 * Chooses the backup set and arguments for a restore, and refuses targets the repository cannot
 * reach: before the first backup finished, or in the future (recovery would stop short of it).
 */
export function planRestore(info: RepositoryInfo, opts: { to?: Date; immediate?: boolean; set?: string; now?: Date }): RestorePlan {
  if (!info.sets.length) throw new BackupError('The repository holds no backup yet; take one with `matchbase backup`')
  if (opts.to && opts.immediate) throw new BackupError('Give either --to TIME or --immediate, not both')
  if (opts.set && !info.sets.some((s) => s.label === opts.set))
    throw new BackupError(`No backup set ${opts.set}; \`matchbase backup list\` shows them`)
  const delta = ['--delta']
  if (opts.immediate) {
    const set = opts.set ?? info.sets[info.sets.length - 1]!.label
    return { set, args: [...delta, `--set=${set}`, '--type=immediate', '--target-action=promote'] }
  }
  if (!opts.to) {
    const set = opts.set ?? info.sets[info.sets.length - 1]!.label
    return { set, args: [...delta, `--set=${set}`] }
  }
  const to = opts.to
  if (Number.isNaN(to.getTime())) throw new BackupError('--to must be a time, e.g. 2026-05-01T12:00:00Z')
  const now = opts.now ?? new Date()
  if (to.getTime() > now.getTime())
    throw new BackupError(`--to ${to.toISOString()} is in the future; to replay everything archived, restore without --to`)
  const reachable = info.sets.filter((s) => s.stoppedAt.getTime() + STOP_MARGIN_MS <= to.getTime())
  if (!reachable.length) {
    const first = info.sets[0]!
    throw new BackupError(
      `--to ${to.toISOString()} is before the first backup finished (${first.label} ended ${first.stoppedAt.toISOString()}); ` +
        `the earliest time this repository can restore to is ${new Date(first.stoppedAt.getTime() + STOP_MARGIN_MS).toISOString()}`,
    )
  }
  const set = opts.set ?? reachable[reachable.length - 1]!.label
  if (!reachable.some((s) => s.label === set)) throw new BackupError(`Backup set ${set} finished after --to ${to.toISOString()}`)
  const target = postgresTime(to)
  return { set, target, args: [...delta, `--set=${set}`, '--type=time', `--target=${target}`, '--target-action=promote'] }
}

/** 2026-05-01 12:00:00.123+00: the form recovery_target_time reads unambiguously. */
function postgresTime(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}+00`
}

/**
 * Restores the cluster's data directory (it must be stopped: pgBackRest refuses otherwise). When
 * Postgres starts it replays archived WAL up to the target and promotes.
 */
export async function restoreCluster(
  pb: PgBackRest,
  opts: { to?: Date; immediate?: boolean; set?: string; now?: Date } = {},
): Promise<RestorePlan> {
  const plan = planRestore(await repositoryInfo(pb), opts)
  await run(pb, 'restore', plan.args)
  return plan
}

export interface RepositoryVerification {
  ok: boolean
  /** pgBackRest's own report: what is missing or does not match its checksum. */
  report: string
}

/**
 * pgbackrest verify: reads every backup file and archived WAL segment and checks its checksum. It
 * exits 0 even when it finds damage (2.45), so the verdict is read from its report.
 */
export async function verifyRepository(pb: PgBackRest): Promise<RepositoryVerification> {
  const out = await run(pb, 'verify', ['--log-level-console=info'])
  const report = out
    .split('\n')
    .map((l) => l.replace(/^\S+ \S+ P\d+\s+\w+: /, '').trimEnd())
    .filter((l) => l && !/verify command (begin|end)/.test(l))
    .join('\n')
  return { ok: !/status: error|invalid checksum|checksum invalid|missing/i.test(report), report }
}
