// Migrates one template database per run; each test file then starts from a copy of it
// (CREATE DATABASE ... TEMPLATE on a server, a data-dir dump on PGlite) instead of migrating again.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { testConfig } from '../../src/platform/config'
import { openDatabase } from '../../src/platform/db/database'
import { migrateUp } from '../../src/platform/migrate/migrator'
import { migrationSources } from '../../src/server'
import { TEST_APPS } from './test-apps'

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string
    pgliteDump: string
  }
}

export default async function setup(project: TestProject) {
  // Migrations and CREATE DATABASE go to the server directly, not through a pooler (PgBouncer):
  // its idle server connections to the template would block copying it.
  const serverUrl = process.env.TEST_DATABASE_DIRECT_URL || process.env.TEST_DATABASE_URL
  const config = testConfig()
  if (serverUrl) {
    const name = `mb_template_${process.pid}`
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`drop database if exists ${name}`)
    await admin.query(`create database ${name}`)
    const url = withDatabase(serverUrl, name)
    const db = await openDatabase(config, { url })
    await migrateUp(db.kysely, migrationSources(TEST_APPS))
    await db.close()
    project.provide('templateDatabase', name)
    project.provide('pgliteDump', '')
    return async () => {
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    }
  }
  const db = await openDatabase(config, { dataDir: 'memory://' })
  await migrateUp(db.kysely, migrationSources(TEST_APPS))
  const dump = (await db.pglite!.dumpDataDir('none')) as Blob
  await db.close()
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-')), 'template.tar')
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
  project.provide('templateDatabase', '')
  project.provide('pgliteDump', file)
  return () => fs.rmSync(path.dirname(file), { recursive: true, force: true })
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
