// The `matchbase` command.
import fs from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import { loadConfig, ConfigError, type Config } from '../platform/config'
import { createPlatform, type Platform } from '../platform/platform'
import { migrateUp } from '../platform/migrate/migrator'
import { readMailbox } from '../platform/auth/mailer'
import { openApiDocument, OPENAPI_PATH } from '../platform/http/openapi'
import { migrationSources, selectApps, serve } from '../server'
import type { AppModule } from '../platform/app'
import { registerBackup } from './commands/backup'
import { registerMigrate } from './commands/migrate'
import { registerDoctor } from './commands/doctor'
import { withPlatform } from './commands/with-platform'
import { registerRetention } from './commands/retention'
import { registerGdpr } from './commands/gdpr'
import { registerRoles } from './commands/roles'

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

registerMigrate(program)

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

registerDoctor(program)

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

registerBackup(program)
registerRetention(program)
registerGdpr(program)
registerRoles(program)

program.parseAsync().catch((err) => {
  if (err instanceof ConfigError || err instanceof InvalidArgumentError) console.error(err.message)
  else console.error(err)
  process.exit(1)
})
