// Ordered, checksummed, reversible SQL migrations. Each file holds an up and a down section:
//   -- migrate:up
//   ...
//   -- migrate:down
//   ...
// Each migration runs in its own transaction under an advisory lock, so concurrent starts of
// the same program against one database apply every migration exactly once.
import fs from 'node:fs'
import path from 'node:path'
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db, Tx } from '../db/database'
import { auditSchemaChange, grantRuntimeAccess } from '../ops/roles/schema-changes'

export interface MigrationSource {
  /** 'platform' or an app name; also the Postgres schema the migrations own. */
  app: string
  dir: string
}

export interface Migration {
  app: string
  version: string
  name: string
  up: string
  down: string
  checksum: string
}

export interface MigrationStatus extends Migration {
  appliedAt: Date | null
  edited: boolean
}

export class MigrationError extends Error {}

const LOCK_KEY = 727_274_001 // arbitrary, constant: "matchbase migrations"
const FILE_RE = /^(\d+)_([a-z0-9_]+)\.sql$/

export function readMigrations(sources: MigrationSource[]): Migration[] {
  const all: Migration[] = []
  for (const { app, dir } of sources) {
    if (!fs.existsSync(dir)) continue
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()
    const seen = new Map<number, string>()
    for (const file of files) {
      const m = FILE_RE.exec(file)
      if (!m) throw new MigrationError(`${app}: migration file name ${file} must look like 0001_name.sql`)
      // The applied record is keyed by (app, version): a second file with the same number would
      // either fail on that key or, applied elsewhere first, be silently skipped.
      const other = seen.get(Number(m[1]))
      if (other) throw new MigrationError(`${app}: ${other} and ${file} share migration number ${m[1]}; renumber the newer one`)
      seen.set(Number(m[1]), file)
      const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n')
      const [upPart, downPart] = splitSections(text, `${app}/${file}`)
      all.push({
        app,
        version: m[1],
        name: m[2],
        up: upPart,
        down: downPart,
        checksum: createHash('sha256').update(text).digest('hex'),
      })
    }
  }
  return all
}

function splitSections(text: string, label: string): [string, string] {
  const upAt = text.indexOf('-- migrate:up')
  const downAt = text.indexOf('-- migrate:down')
  if (upAt < 0 || downAt < 0 || downAt < upAt)
    throw new MigrationError(`${label}: needs a "-- migrate:up" section followed by a "-- migrate:down" section`)
  return [text.slice(upAt + '-- migrate:up'.length, downAt).trim(), text.slice(downAt + '-- migrate:down'.length).trim()]
}

async function bootstrap(tx: Tx) {
  await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(tx)
  await sql
    .raw(
      `create schema if not exists platform;
       create table if not exists platform.schema_migrations (
         app text not null,
         version text not null,
         name text not null,
         checksum text not null,
         applied_at timestamptz not null default clock_timestamp(),
         primary key (app, version)
       );`,
    )
    .execute(tx)
}

async function applied(tx: Tx): Promise<Map<string, { checksum: string; appliedAt: Date }>> {
  const rows = await tx.selectFrom('platform.schemaMigrations').select(['app', 'version', 'checksum', 'appliedAt']).execute()
  return new Map(rows.map((r) => [`${r.app}/${r.version}`, { checksum: r.checksum, appliedAt: r.appliedAt }]))
}

function assertUnedited(migrations: Migration[], done: Map<string, { checksum: string }>) {
  for (const m of migrations) {
    const row = done.get(`${m.app}/${m.version}`)
    if (row && row.checksum !== m.checksum)
      throw new MigrationError(
        `${m.app}/${m.version}_${m.name} was edited after it was applied (checksum differs). ` +
          `Write a new migration instead of changing an applied one.`,
      )
  }
}

/**
 * A pending migration numbered below one already applied for the same app would run after it here
 * but before it on a fresh database (typically a branch merged late): two databases would reach
 * "up to date" by different orders. Refused, so the author renumbers it past the last applied one.
 */
function assertNoneBehind(migrations: Migration[], done: Map<string, unknown>) {
  const lastApplied = new Map<string, Migration>()
  for (const m of migrations) {
    if (done.has(`${m.app}/${m.version}`) && Number(m.version) > Number(lastApplied.get(m.app)?.version ?? -1)) lastApplied.set(m.app, m)
  }
  for (const m of migrations) {
    const last = lastApplied.get(m.app)
    if (last && !done.has(`${m.app}/${m.version}`) && Number(m.version) < Number(last.version))
      throw new MigrationError(
        `${m.app}/${m.version}_${m.name} is pending but ${m.app}/${last.version}_${last.name} is already applied. ` +
          `Renumber it after the last applied migration of ${m.app}.`,
      )
  }
}

/**
 * Per app, the numbers missing between 1 and its highest migration. Applied databases keep each
 * file's number, so a gap filled later is a late-numbered file (see assertNoneBehind).
 */
export function numberingGaps(migrations: Migration[]): Record<string, number[]> {
  const byApp = new Map<string, Set<number>>()
  for (const m of migrations) byApp.set(m.app, (byApp.get(m.app) ?? new Set()).add(Number(m.version)))
  const gaps: Record<string, number[]> = {}
  for (const [app, versions] of byApp) {
    const missing: number[] = []
    for (let v = 1; v < Math.max(...versions); v++) if (!versions.has(v)) missing.push(v)
    if (missing.length) gaps[app] = missing
  }
  return gaps
}

export interface MigrateEvents {
  onApply?: (m: Migration, direction: 'up' | 'down') => void
}

/** Applies every pending migration in order. Returns the ones applied. */
export async function migrateUp(db: Db, sources: MigrationSource[], events: MigrateEvents = {}): Promise<Migration[]> {
  const migrations = readMigrations(sources)
  const appliedNow: Migration[] = []
  for (const m of migrations) {
    const didApply = await db.transaction().execute(async (tx) => {
      await bootstrap(tx)
      const done = await applied(tx)
      assertUnedited(migrations, done)
      assertNoneBehind(migrations, done)
      if (done.has(`${m.app}/${m.version}`)) return false
      events.onApply?.(m, 'up')
      await runSql(tx, m, 'up')
      await tx
        .insertInto('platform.schemaMigrations')
        .values({ app: m.app, version: m.version, name: m.name, checksum: m.checksum })
        .execute()
      await auditSchemaChange(tx, m, 'up')
      return true
    })
    if (didApply) appliedNow.push(m)
  }
  // Under the migration lock: two starts at once would both create the same policies.
  if (appliedNow.length)
    await db.transaction().execute(async (tx) => {
      await bootstrap(tx)
      await grantRuntimeAccess(tx)
    })
  return appliedNow
}

/** What to revert: the last `steps` applied migrations, or every migration after a given one. */
export type RevertTarget = number | { to: string }

/**
 * Reads "app/0013", "app/13" or "app/0013_name" (as `migrate status` prints it). Version 0 names the
 * state before the app's first migration. Unknown apps and versions are refused.
 */
export function parseMigrationId(id: string, migrations: Migration[]): { app: string; version: number } {
  const m = /^([a-z0-9_]+)\/(\d+)(?:_[a-z0-9_]+)?$/.exec(id)
  if (!m) throw new MigrationError(`--to ${id}: give app/version, e.g. onedesigner/0011 (see \`matchbase migrate status\`)`)
  const [, app, digits] = m
  const own = migrations.filter((x) => x.app === app)
  if (!own.length) throw new MigrationError(`--to ${id}: no app ${app}; known: ${[...new Set(migrations.map((x) => x.app))].join(', ')}`)
  const version = Number(digits)
  if (version !== 0 && !own.some((x) => Number(x.version) === version))
    throw new MigrationError(`--to ${id}: ${app} has no migration ${digits} (it has ${own[0].version} to ${own[own.length - 1].version})`)
  return { app, version }
}

/**
 * The applied migrations a revert would undo, newest first. With { to: 'app/N' }: every migration
 * of that app numbered after N (N itself stays applied; app/0 reverts the whole app). Apps depend on
 * the platform, never on each other, so reverting an app leaves other apps alone, while reverting a
 * platform migration also reverts every app migration applied after it.
 */
async function revertPlanIn(tx: Tx, migrations: Migration[], target: RevertTarget): Promise<Migration[]> {
  const rows = await tx
    .selectFrom('platform.schemaMigrations')
    .select(['app', 'version', 'appliedAt'])
    .orderBy('appliedAt', 'desc')
    .orderBy('app', 'desc')
    .orderBy('version', 'desc')
    .execute()
  let chosen: typeof rows
  if (typeof target === 'number') chosen = rows.slice(0, target)
  else {
    const to = parseMigrationId(target.to, migrations)
    chosen = rows.filter((r) => r.app === to.app && Number(r.version) > to.version)
    if (to.app === 'platform' && chosen.length) {
      const earliest = Math.min(...chosen.map((r) => r.appliedAt.getTime()))
      chosen = rows.filter((r) => r.appliedAt.getTime() >= earliest && (r.app !== 'platform' || Number(r.version) > to.version))
    }
  }
  const byKey = new Map(migrations.map((m) => [`${m.app}/${m.version}`, m]))
  return chosen.map((r) => {
    const mig = byKey.get(`${r.app}/${r.version}`)
    if (!mig) throw new MigrationError(`${r.app}/${r.version} is applied but its file is missing; cannot revert it`)
    return mig
  })
}

/** The migrations `migrateUp` would apply, in order, without applying them (for --dry-run). */
export async function pendingMigrations(db: Db, sources: MigrationSource[]): Promise<Migration[]> {
  const migrations = readMigrations(sources)
  return db.transaction().execute(async (tx) => {
    await bootstrap(tx)
    const done = await applied(tx)
    assertUnedited(migrations, done)
    assertNoneBehind(migrations, done)
    return migrations.filter((m) => !done.has(`${m.app}/${m.version}`))
  })
}

/** The migrations `migrateDown` would revert, newest first, without reverting them (for --dry-run). */
export async function revertPlan(db: Db, sources: MigrationSource[], target: RevertTarget): Promise<Migration[]> {
  const migrations = readMigrations(sources)
  return db.transaction().execute(async (tx) => {
    await bootstrap(tx)
    assertUnedited(migrations, await applied(tx))
    return revertPlanIn(tx, migrations, target)
  })
}

/**
 * Reverts the last `steps` applied migrations (all of them when steps is Infinity), or those after
 * { to: 'app/version' } (see revertPlanIn). One transaction per migration, newest first.
 */
export async function migrateDown(
  db: Db,
  sources: MigrationSource[],
  target: RevertTarget = 1,
  events: MigrateEvents = {},
): Promise<Migration[]> {
  const migrations = readMigrations(sources)
  const reverted: Migration[] = []
  while (typeof target !== 'number' || reverted.length < target) {
    const m = await db.transaction().execute(async (tx) => {
      await bootstrap(tx)
      assertUnedited(migrations, await applied(tx))
      // Planned again in each transaction, under the lock: another process may have moved meanwhile.
      const [mig] = await revertPlanIn(tx, migrations, typeof target === 'number' ? 1 : target)
      if (!mig) return null
      events.onApply?.(mig, 'down')
      await runSql(tx, mig, 'down')
      await tx.deleteFrom('platform.schemaMigrations').where('app', '=', mig.app).where('version', '=', mig.version).execute()
      await auditSchemaChange(tx, mig, 'down')
      return mig
    })
    if (!m) break
    reverted.push(m)
  }
  return reverted
}

export async function migrationStatus(db: Db, sources: MigrationSource[]): Promise<MigrationStatus[]> {
  const migrations = readMigrations(sources)
  return db.transaction().execute(async (tx) => {
    await bootstrap(tx)
    const done = await applied(tx)
    return migrations.map((m) => {
      const row = done.get(`${m.app}/${m.version}`)
      return { ...m, appliedAt: row?.appliedAt ?? null, edited: !!row && row.checksum !== m.checksum }
    })
  })
}

async function runSql(tx: Tx, m: Migration, direction: 'up' | 'down') {
  const text = direction === 'up' ? m.up : m.down
  try {
    // No parameters: node-postgres uses the simple protocol, which runs several statements.
    await sql.raw(text).execute(tx)
  } catch (err) {
    throw new MigrationError(`${m.app}/${m.version}_${m.name} (${direction}) failed: ${(err as Error).message}`)
  }
}
