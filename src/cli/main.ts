// The `matchbase` command.
import fs from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import { loadConfig, ConfigError, type Config } from '../platform/config'
import { createPlatform, type Platform } from '../platform/platform'
import { migrateDown, migrateUp, migrationStatus } from '../platform/migrate/migrator'
import { readMailbox } from '../platform/auth/mailer'
import { runJob } from '../platform/jobs/scheduler'
import { openApiDocument, OPENAPI_PATH } from '../platform/http/openapi'
import { jobsOf, migrationSources, selectApps, serve } from '../server'
import type { AppModule } from '../platform/app'
import { asOwner } from '../platform/ops/roles/owner-database'
import { registerRoles } from './commands/roles'

/** owner: connect as the owner role (DATABASE_OWNER_URL), for schema changes. */
async function withPlatform<T>(fn: (p: Platform, config: Config, apps: AppModule[]) => Promise<T>, owner = false): Promise<T> {
  const config = owner ? asOwner(loadConfig()) : loadConfig()
  const platform = await createPlatform(config)
  try {
    return await fn(platform, config, selectApps(config))
  } finally {
    await platform.close()
  }
}

function progressBar(label: string) {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {step}`, hideCursor: true }, Presets.shades_classic)
  let started = false
  return {
    update(done: number, total: number, step: string) {
      if (!started) {
        bar.start(total, 0, { step })
        started = true
      }
      bar.setTotal(total)
      bar.update(done, { step })
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

const positiveInt = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer')
  return n
}

// Settings from ./.env when present (see .env.example); the real environment wins.
if (fs.existsSync('.env')) process.loadEnvFile('.env')

const program = new Command('matchbase').description('Matchbase: one backend for matching marketplaces')

program
  .command('serve')
  .description('migrate, load demo data the first time, and serve the API')
  .action(async () => {
    const running = await serve(loadConfig())
    const stop = async () => {
      await running.stop()
      process.exit(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })

const migrate = program.command('migrate').description('apply, revert or list schema migrations')
migrate
  .command('up')
  .description('apply every pending migration')
  .action(() =>
    withPlatform(async (p, _c, apps) => {
      const applied = await migrateUp(p.db.kysely, migrationSources(apps), {
        onApply: (m) => console.log(`up   ${m.app}/${m.version}_${m.name}`),
      })
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'Nothing to apply')
    }, true),
  )
migrate
  .command('down')
  .description('revert the last applied migration (or --steps N, or --all)')
  .option('--steps <n>', 'how many to revert', positiveInt, 1)
  .option('--all', 'revert every migration')
  .action((opts: { steps: number; all?: boolean }) =>
    withPlatform(async (p, _c, apps) => {
      const reverted = await migrateDown(p.db.kysely, migrationSources(apps), opts.all ? Infinity : opts.steps, {
        onApply: (m) => console.log(`down ${m.app}/${m.version}_${m.name}`),
      })
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

program
  .command('seed')
  .description('load demo data for the enabled apps')
  .option('--app <name>', 'only this app')
  .option('--size <n>', 'scale of generated data (e.g. number of designers)', positiveInt)
  .action((opts: { app?: string; size?: number }) =>
    withPlatform(async (p, _c, apps) => {
      await migrateUp(p.db.kysely, migrationSources(apps))
      for (const app of apps.filter((a) => !opts.app || a.name === opts.app)) {
        if (!app.seed) continue
        const bar = progressBar(app.name)
        const lines = await app.seed(p, { size: opts.size, progress: (d, t, s) => bar.update(d, t, s) })
        bar.stop()
        for (const l of lines) console.log(l)
      }
    }, true),
  )

program
  .command('maintain <job>')
  .description('run one maintenance job now (see `matchbase maintain list`)')
  .option('--at <iso-time>', 'act as of this time instead of now')
  .action((job: string, opts: { at?: string }) =>
    withPlatform(async (p, _c, apps) => {
      const jobs = jobsOf(apps)
      if (job === 'list') {
        for (const j of jobs) console.log(`${j.name.padEnd(36)} ${(j.cron ?? 'on demand').padEnd(14)} ${j.description}`)
        return
      }
      const def = jobs.find((j) => j.name === job)
      if (!def) throw new InvalidArgumentError(`unknown job ${job}; known: ${jobs.map((j) => j.name).join(', ')}`)
      const at = opts.at ? new Date(opts.at) : undefined
      if (at && Number.isNaN(at.getTime())) throw new InvalidArgumentError('--at must be an ISO time')
      console.log(JSON.stringify(await runJob(p, def, at)))
    }),
  )

program
  .command('mailbox <email>')
  .description('show mail sent to an address while no SMTP server is configured')
  .action((email: string) =>
    withPlatform(async (p) => {
      const mails = await readMailbox(p.db.kysely, email)
      if (!mails.length) console.log(`No mail for ${email}`)
      for (const m of mails) console.log(`--- ${m.sentAt.toISOString()}  ${m.subject}\n${m.textBody}\n`)
    }),
  )

program
  .command('openapi')
  .description(`print the OpenAPI document, or write it to ${OPENAPI_PATH}`)
  .option('--write', `write ${OPENAPI_PATH}`)
  .action((opts: { write?: boolean }) =>
    withPlatform(async (p, _c, apps) => {
      const doc = await openApiDocument(p, apps)
      if (opts.write) fs.writeFileSync(OPENAPI_PATH, doc)
      else process.stdout.write(doc)
    }),
  )

registerRoles(program)

program.parseAsync().catch((err) => {
  if (err instanceof ConfigError || err instanceof InvalidArgumentError) console.error(err.message)
  else console.error(err)
  process.exit(1)
})
