// A fresh, migrated database per test file, on PGlite by default or on the Postgres server
// named by TEST_DATABASE_URL; plus the platform and HTTP server over it.
import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, inject } from 'vitest'
import { testConfig, type Config } from '../../src/platform/config'
import { openDatabase, type Database } from '../../src/platform/db/database'
import { createPlatform, type Platform, type PlatformOverrides } from '../../src/platform/platform'
import { buildHttp } from '../../src/platform/http/server'
import { ManualClock } from '../../src/platform/clock'
import { TEST_APPS } from './test-apps'
import type { AppModule, Http } from '../../src/platform/app'
import { withDatabase } from './global-setup'
import { asTestRole, setupTestRoles } from './api-role'

export const serverUrl = process.env.TEST_DATABASE_URL
/** The server itself when TEST_DATABASE_URL goes through a pooler (PgBouncer): LISTEN and admin work. */
export const directServerUrl = process.env.TEST_DATABASE_DIRECT_URL || serverUrl
export const onServer = !!serverUrl
/** The suites run through a transaction pooler rather than straight to the server. */
export const behindPooler = onServer && directServerUrl !== serverUrl
/** For suites that need real concurrency or server tools; PGlite is a single session. */
export const describeOnServer = onServer ? describe : describe.skip

export interface TestEnvOptions {
  apps?: AppModule[]
  /** false: an empty database (for migration tests). */
  migrated?: boolean
  config?: Record<string, string>
  overrides?: PlatformOverrides
  /**
   * On a server, 'api' connects the platform as the least-privilege API login role (`roles
   * setup`: owns nothing, no BYPASSRLS) instead of the superuser; ignored on PGlite.
   */
  role?: 'owner' | 'api'
}

export interface TestEnv {
  platform: Platform
  http: Http
  clock: ManualClock
  config: Config
  /** Connection string of this file's database (server mode only). */
  databaseUrl?: string
  /** The same database straight on the server, bypassing any pooler (server mode only). */
  databaseDirectUrl?: string
  close(): Promise<void>
}

/** Opens a fresh database: a copy of the migrated template unless migrated is false. */
export async function freshDatabase(
  config: Config,
  migrated = true,
  role: 'owner' | 'api' = 'owner',
): Promise<{ db: Database; url?: string; directUrl?: string; drop(): Promise<void> }> {
  if (serverUrl) {
    const name = `mb_t_${process.pid}_${randomBytes(4).toString('hex')}`
    // CREATE DATABASE ... TEMPLATE needs the template free of sessions, which a pooler's idle
    // server connections are not; admin work goes to the server directly.
    const admin = new pg.Client({ connectionString: directServerUrl })
    await admin.connect()
    const template = inject('templateDatabase')
    await admin.query(migrated ? `create database ${name} template ${template}` : `create database ${name}`)
    let url = withDatabase(serverUrl, name)
    let directUrl = withDatabase(directServerUrl!, name)
    if (role === 'api') {
      const owner = await openDatabase(config, { url: directUrl })
      await setupTestRoles(owner.kysely).finally(() => owner.close())
      url = asTestRole(url, 'api')
      directUrl = asTestRole(directUrl, 'api')
    }
    const db = await openDatabase(config, { url, directUrl })
    return {
      db,
      url,
      directUrl,
      async drop() {
        await db.close().catch(() => {})
        await admin.query(`drop database if exists ${name} with (force)`)
        await admin.end()
      },
    }
  }
  const dump = inject('pgliteDump')
  const db = await openDatabase(config, {
    dataDir: 'memory://',
    loadDataDir: migrated ? new Blob([fs.readFileSync(dump)]) : undefined,
  })
  return { db, drop: () => db.close() }
}

export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const config = testConfig(opts.config)
  const { db, url, directUrl, drop } = await freshDatabase(config, opts.migrated !== false, opts.role)
  const clock = new ManualClock()
  const platform = await createPlatform(config, { db, clock, ...opts.overrides })
  const http = await buildHttp(platform, opts.apps ?? TEST_APPS, { docs: false })
  await http.ready()
  return {
    platform,
    http,
    clock,
    config,
    databaseUrl: url,
    databaseDirectUrl: directUrl,
    async close() {
      await http.close()
      platform.redis?.disconnect()
      await drop()
    },
  }
}
