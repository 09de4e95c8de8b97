// `matchbase doctor` (a read-only health check) and `matchbase maintain`: the named jobs of the
// apps and the platform, and the built-in monthly tasks vacuum, reindex and analyze.
import { type Command, InvalidArgumentError } from 'commander'
import { jobsOf } from '../../server'
import { runJob } from '../../platform/jobs/scheduler'
import { formatDoctorReport, runDoctor } from '../../platform/ops/doctor/doctor'
import {
  isMaintenanceTask,
  MAINTENANCE_DESCRIPTIONS,
  MAINTENANCE_TASKS,
  MaintenanceError,
  runMaintenance,
} from '../../platform/ops/doctor/maintain'
import { asUserError, withPlatform } from './with-platform'

export function registerDoctor(program: Command) {
  program
    .command('doctor')
    .description('check the database: slow queries, bloat, unused and duplicate indexes, vacuum age, unindexed foreign keys')
    .option('--json', 'print the report as JSON')
    .action((opts: { json?: boolean }) =>
      withPlatform(async (p) => {
        const report = await runDoctor(p.db.kysely, p.db.driver)
        console.log(opts.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report))
      }),
    )

  program
    .command('maintain <job>')
    .description(`run one maintenance job now: ${MAINTENANCE_TASKS.join(', ')}, or a named job (see \`matchbase maintain list\`)`)
    .option('--at <iso-time>', 'act as of this time instead of now (named jobs)')
    .option('--table <schema.table...>', `only these tables (${MAINTENANCE_TASKS.join(', ')})`)
    .option('--json', `print per-table results as JSON (${MAINTENANCE_TASKS.join(', ')})`)
    .action((job: string, opts: { at?: string; table?: string[]; json?: boolean }) =>
      withPlatform(async (p, _c, apps) => {
        const jobs = jobsOf(apps)
        if (job === 'list') {
          for (const task of MAINTENANCE_TASKS)
            console.log(`${task.padEnd(36)} ${'on demand'.padEnd(14)} ${MAINTENANCE_DESCRIPTIONS[task]}`)
          for (const j of jobs) console.log(`${j.name.padEnd(36)} ${(j.cron ?? 'on demand').padEnd(14)} ${j.description}`)
          return
        }
        if (isMaintenanceTask(job)) {
          if (opts.at) throw new InvalidArgumentError(`--at applies to named jobs, not to ${job}`)
          const results = await asUserError(
            runMaintenance(p.db.kysely, job, {
              tables: opts.table,
              onTable: opts.json
                ? undefined
                : (done, total, table) => table && process.stderr.write(`${job} ${done + 1}/${total} ${table}\n`),
            }),
            MaintenanceError,
          )
          if (opts.json) console.log(JSON.stringify(results, null, 2))
          else {
            const mib = (b: number) => (b / 1048576).toFixed(1)
            for (const r of results)
              console.log(`${r.table.padEnd(44)} ${String(r.ms).padStart(7)} ms  ${mib(r.bytesBefore)} -> ${mib(r.bytesAfter)} MiB`)
            const saved = results.reduce((s, r) => s + r.bytesBefore - r.bytesAfter, 0)
            console.log(`${job}: ${results.length} table(s), ${mib(saved)} MiB given back`)
          }
          return
        }
        if (opts.table || opts.json) throw new InvalidArgumentError(`--table and --json apply to ${MAINTENANCE_TASKS.join(', ')}`)
        const def = jobs.find((j) => j.name === job)
        if (!def)
          throw new InvalidArgumentError(`unknown job ${job}; known: ${[...MAINTENANCE_TASKS, ...jobs.map((j) => j.name)].join(', ')}`)
        const at = opts.at ? new Date(opts.at) : undefined
        if (at && Number.isNaN(at.getTime())) throw new InvalidArgumentError('--at must be an ISO time')
        console.log(JSON.stringify(await runJob(p, def, at)))
      }),
    )
}
