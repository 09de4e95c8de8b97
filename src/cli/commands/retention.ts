// `matchbase retention ...` and `matchbase archive ...`: the retention policies of the platform and
// the enabled apps, run now or counted (dry run), and the archive they fill.
import { type Command, InvalidArgumentError } from 'commander'
import { asUserError, withPlatform } from './with-platform'
import { policiesOf } from '../../platform/ops/retention/policies'
import { ArchiveError, exportBatch, restoreBatch, runPolicy } from '../../platform/ops/retention/run'
import { ArchiveDriftError } from '../../platform/ops/retention/archive-tables'
import { LOG_PARTITIONS_STEP, maintainLogPartitions, PARTITIONED_LOGS } from '../../platform/ops/logs/partitions'

export const batchId = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a batch number (see `matchbase archive list`)')
  return n
}

export const isoTime = (v: string) => {
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO time, e.g. 2025-01-31T00:00:00Z')
  return d
}

export function registerRetention(program: Command) {
  const retention = program.command('retention').description('retention policies: what is archived, anonymized or deleted, and when')
  retention
    .command('list')
    .description('list the policies of the platform and the enabled apps')
    .action(() =>
      withPlatform(async (_p, _c, apps) => {
        for (const p of policiesOf(apps))
          console.log(
            `${p.id.padEnd(40)} ${p.action.padEnd(9)} ${`${p.schema}.${p.tableName}`.padEnd(36)} after ${p.age.padEnd(10)} ${p.description}`,
          )
        for (const l of PARTITIONED_LOGS)
          console.log(
            `${LOG_PARTITIONS_STEP.padEnd(40)} ${'drop'.padEnd(9)} ${l.table.padEnd(36)} after ${l.retention.padEnd(10)} ${l.description}: whole months`,
          )
      }),
    )
  retention
    .command('run')
    .description('run the policies now; prints per policy the rows it touched (or would touch, with --dry-run)')
    .option('--dry-run', 'count only; change nothing')
    .option('--policy <name>', 'only this policy (see `matchbase retention list`)')
    .option('--at <iso-time>', 'act as of this time instead of now', isoTime)
    .action((opts: { dryRun?: boolean; policy?: string; at?: Date }) =>
      withPlatform(async (platform, _c, apps) => {
        const all = policiesOf(apps)
        const chosen = opts.policy ? all.filter((p) => p.id === opts.policy || p.name === opts.policy) : all
        const partitions = !opts.policy || opts.policy === LOG_PARTITIONS_STEP
        if (!chosen.length && !partitions)
          throw new InvalidArgumentError(
            `unknown policy ${opts.policy}; known: ${[...all.map((p) => p.id), LOG_PARTITIONS_STEP].join(', ')}`,
          )
        if (opts.policy && chosen.length > 1)
          throw new InvalidArgumentError(`${opts.policy} names several policies: ${chosen.map((p) => p.id).join(', ')}`)
        const verb = opts.dryRun ? 'would' : ''
        for (const p of chosen) {
          const out = await asUserError(runPolicy(platform, p, { dryRun: opts.dryRun, now: opts.at }), ArchiveError, ArchiveDriftError)
          const batches = out.batches.length ? ` (archive batches ${out.batches.join(', ')})` : ''
          console.log(
            `${p.id.padEnd(40)} ${`${verb} ${p.action}`.trim().padEnd(15)} ${String(out.rows).padStart(7)} ${out.table}${batches}`,
          )
        }
        if (partitions) {
          const out = await maintainLogPartitions(platform.db.kysely, opts.at ?? platform.clock.now(), { dryRun: opts.dryRun })
          for (const c of out.created)
            console.log(`${LOG_PARTITIONS_STEP.padEnd(40)} ${`${verb} create`.trim().padEnd(15)} ${''.padStart(7)} ${c.partition}`)
          for (const d of out.dropped)
            console.log(
              `${LOG_PARTITIONS_STEP.padEnd(40)} ${`${verb} drop`.trim().padEnd(15)} ${String(d.rows).padStart(7)} ${d.partition}`,
            )
          if (!out.created.length && !out.dropped.length) console.log(`${LOG_PARTITIONS_STEP.padEnd(40)} nothing to create or drop`)
        }
        if (opts.dryRun) console.log('Dry run: nothing was changed.')
      }),
    )

  const archive = program.command('archive').description('archived rows: list batches, export them to storage, restore them')
  archive
    .command('list')
    .description('list archive batches (newest first)')
    .option('--app <name>', 'only this app (or platform)')
    .action((opts: { app?: string }) =>
      withPlatform(async (platform) => {
        let q = platform.db.kysely.selectFrom('platform.archiveBatches').selectAll().orderBy('id', 'desc')
        if (opts.app) q = q.where('app', '=', opts.app)
        const batches = await q.execute()
        if (!batches.length) console.log('No archive batches')
        for (const b of batches) {
          const state = b.restoredAt ? `restored ${b.restoredAt.toISOString()}` : (b.exportKey ?? 'not exported')
          console.log(
            `${String(b.id).padStart(6)} ${b.archivedAt.toISOString()} ${b.policy.padEnd(36)} ${String(b.rowCount).padStart(6)} rows  ${state}`,
          )
        }
      }),
    )
  archive
    .command('export')
    .description('write a batch as gzip JSON lines to the file storage (again)')
    .requiredOption('--batch <id>', 'the batch number', batchId)
    .action((opts: { batch: number }) =>
      withPlatform(async (platform) => {
        const out = await asUserError(exportBatch(platform, opts.batch), ArchiveError)
        console.log(`Batch ${opts.batch}: ${out.rows} rows, ${out.bytes} bytes -> ${platform.storage.kind}:${out.key}`)
      }),
    )
  archive
    .command('restore')
    .description('put the rows of a batch back in their live table')
    .requiredOption('--batch <id>', 'the batch number', batchId)
    .action((opts: { batch: number }) =>
      withPlatform(async (platform) => {
        const out = await asUserError(restoreBatch(platform, opts.batch), ArchiveError, ArchiveDriftError)
        console.log(`Batch ${opts.batch}: ${out.rows} rows restored to ${out.table}`)
      }),
    )
}
