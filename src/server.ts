// Composes the platform and the enabled apps into one server.
import { fileURLToPath } from 'node:url'
import { assertReadyToServe, type Config } from './platform/config'
import type { AppModule } from './platform/app'
import { createPlatform, type Platform, type PlatformOverrides } from './platform/platform'
import { buildHttp } from './platform/http/server'
import { migrateUp, type MigrationSource } from './platform/migrate/migrator'
import { startScheduler } from './platform/jobs/scheduler'
import { platformJobs } from './platform/jobs/platform-jobs'
import type { JobDefinition } from './platform/jobs/types'
import { retentionJobs } from './platform/ops/retention/jobs'
import { ALL_APPS } from './apps'
import { openOwnerDatabase } from './platform/ops/roles/owner-database'

export const PLATFORM_MIGRATIONS = fileURLToPath(new URL('./platform/migrations', import.meta.url))

export function selectApps(config: Config, all: AppModule[] = ALL_APPS): AppModule[] {
  if (config.apps.length === 0) return all
  const unknown = config.apps.filter((n) => !all.some((a) => a.name === n))
  if (unknown.length) throw new Error(`APPS names unknown apps: ${unknown.join(', ')} (known: ${all.map((a) => a.name).join(', ')})`)
  return all.filter((a) => config.apps.includes(a.name))
}

export function migrationSources(apps: AppModule[]): MigrationSource[] {
  return [{ app: 'platform', dir: PLATFORM_MIGRATIONS }, ...apps.map((a) => ({ app: a.name, dir: a.migrationsDir }))]
}

/** Platform-wide maintenance jobs, those of the enabled apps, and one per retention policy. */
export function jobsOf(apps: AppModule[]): JobDefinition[] {
  return [...platformJobs, ...apps.flatMap((a) => a.jobs ?? []), ...retentionJobs(apps)]
}

export interface Running {
  platform: Platform
  url: string
  stop(): Promise<void>
}

/** `matchbase serve`: migrate, seed demo data the first time, listen, schedule jobs. */
export async function serve(config: Config, overrides: PlatformOverrides = {}, print = console.log): Promise<Running> {
  assertReadyToServe(config)
  const apps = selectApps(config)
  const platform = await createPlatform(config, overrides)
  if (config.isProduction && config.aiProvider === 'local')
    platform.log.warn(
      'AI: the local embedder is a deterministic stand-in, not a language model; matching by meaning needs AI_BASE_URL and AI_API_KEY',
    )
  // Migrations and pg-boss's tables need the owner; requests and jobs run on DATABASE_URL.
  const owner = await openOwnerDatabase(config, platform.db)
  const applied = await migrateUp(owner.db.kysely, migrationSources(apps))
  if (applied.length) platform.log.info({ migrations: applied.map((m) => `${m.app}/${m.version}_${m.name}`) }, 'migrated')
  const seedLines: string[] = []
  if (config.seedDemo) {
    for (const app of apps) {
      if (app.seed && !(await app.isSeeded?.(platform))) seedLines.push(...(await app.seed(platform)))
    }
  }
  const http = await buildHttp(platform, apps)
  await http.listen({ port: config.PORT, host: config.HOST })
  const address = http.server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  const url = config.PUBLIC_URL ?? `http://localhost:${port}`
  const scheduler = config.JOBS_ENABLED ? await startScheduler(platform, jobsOf(apps), { pool: owner.db.pool }) : undefined

  print(`Mode: ${config.NODE_ENV} (${config.modeReason})`)
  print(`Matchbase is running on ${config.embedded ? 'embedded PGlite (' + config.DATA_DIR + ')' : 'Postgres'}`)
  print(`  API:  ${url}/v1/<app>   apps: ${apps.map((a) => a.name).join(', ')}`)
  print(`  Docs: ${url}/docs`)
  for (const line of seedLines) print(`  ${line}`)
  if (platform.mailer.kind === 'dev') print(`  Mail goes to the dev mailbox: ${url}/v1/dev/mailbox?email=<address>`)

  return {
    platform,
    url,
    async stop() {
      await scheduler?.stop()
      await http.close()
      await owner.close()
      await platform.close()
    },
  }
}
