// `matchbase migrate up | down | status`: apply, revert (the last N, everything, or back to a given
// migration) or list migrations; --dry-run prints the SQL that would run and changes nothing.
import { type Command, InvalidArgumentError } from 'commander'
import {
  migrateDown,
  migrateUp,
  MigrationError,
  migrationStatus,
  pendingMigrations,
  revertPlan,
  type Migration,
  type RevertTarget,
} from '../../platform/migrate/migrator'
import { migrationSources } from '../../server'
import { asUserError, withPlatform } from './with-platform'

const positiveInt = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer')
  return n
}

/** The SQL a dry run shows: each migration's section, headed by its id, as psql could run it. */
function printPlan(plan: Migration[], direction: 'up' | 'down') {
  for (const m of plan) console.log(`-- ${direction} ${m.app}/${m.version}_${m.name}\n${direction === 'up' ? m.up : m.down}\n`)
  console.log(`-- dry run: ${plan.length} migration(s) would be ${direction === 'up' ? 'applied' : 'reverted'}; nothing was changed`)
}

export function registerMigrate(program: Command) {
  const migrate = program.command('migrate').description('apply, revert or list schema migrations')
  migrate
    .command('up')
    .description('apply every pending migration')
    .option('--dry-run', 'print the SQL of the pending migrations without applying it')
    .action((opts: { dryRun?: boolean }) =>
      withPlatform(async (p, _c, apps) => {
        const sources = migrationSources(apps)
        if (opts.dryRun) return printPlan(await asUserError(pendingMigrations(p.db.kysely, sources), MigrationError), 'up')
        const applied = await asUserError(
          migrateUp(p.db.kysely, sources, { onApply: (m) => console.log(`up   ${m.app}/${m.version}_${m.name}`) }),
          MigrationError,
        )
        console.log(applied.length ? `${applied.length} migration(s) applied` : 'Nothing to apply')
      }, true),
    )
  migrate
    .command('down')
    .description('revert the last applied migration (or --steps N, --all, or --to APP/VERSION)')
    .option('--steps <n>', 'how many to revert', positiveInt)
    .option('--all', 'revert every migration')
    .option('--to <app/version>', "revert the app's migrations after this one (it stays applied; APP/0 reverts the whole app)")
    .option('--dry-run', 'print the SQL that would run without reverting anything')
    .action((opts: { steps?: number; all?: boolean; to?: string; dryRun?: boolean }) =>
      withPlatform(async (p, _c, apps) => {
        if ([opts.steps !== undefined, !!opts.all, opts.to !== undefined].filter(Boolean).length > 1)
          throw new InvalidArgumentError('give one of --steps, --all and --to')
        const target: RevertTarget = opts.to !== undefined ? { to: opts.to } : opts.all ? Infinity : (opts.steps ?? 1)
        const sources = migrationSources(apps)
        if (opts.dryRun) return printPlan(await asUserError(revertPlan(p.db.kysely, sources, target), MigrationError), 'down')
        const reverted = await asUserError(
          migrateDown(p.db.kysely, sources, target, { onApply: (m) => console.log(`down ${m.app}/${m.version}_${m.name}`) }),
          MigrationError,
        )
        console.log(reverted.length ? `${reverted.length} migration(s) reverted` : 'Nothing to revert')
      }, true),
    )
  migrate
    .command('status')
    .description('list migrations and whether each is applied')
    .action(() =>
      withPlatform(async (p, _c, apps) => {
        const rows = await migrationStatus(p.db.kysely, migrationSources(apps))
        for (const m of rows) {
          const state = m.edited ? 'EDITED' : m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : 'pending'
          console.log(`${m.app.padEnd(14)} ${m.version}_${m.name.padEnd(40)} ${state}`)
        }
        if (rows.some((m) => m.edited)) process.exitCode = 1
      }, true),
    )
}
