// The zero-downtime pattern of docs/operations.md, on OneDesigner's real NOT NULL of
// matches.expires_at: expand (0012), backfill in batches (a job), contract (0013). Also
// `migrate down --to` and the dry runs of up and down, which must change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../../src/platform/config'
import type { Database } from '../../src/platform/db/database'
import { migrateDown, migrateUp, MigrationError, pendingMigrations, revertPlan } from '../../src/platform/migrate/migrator'
import { runJob } from '../../src/platform/jobs/scheduler'
import { backfillMatchExpiry } from '../../src/apps/onedesigner/maintenance/jobs'
import { migrationSources } from '../../src/server'
import { ALL_APPS } from '../../src/apps'
import { freshDatabase } from '../support/test-env'
import { createPlatform, type Platform } from '../../src/platform/platform'

const sources = migrationSources(ALL_APPS)
const ids = (ms: { app: string; version: string }[]) => ms.map((m) => `${m.app}/${m.version}`)

describe('migrate down --to, --dry-run, and a zero-downtime migration', () => {
  let db: Database
  let platform: Platform
  let drop: () => Promise<void>
  beforeAll(async () => {
    ;({ db, drop } = await freshDatabase(testConfig(), false))
    await migrateUp(db.kysely, sources)
    platform = await createPlatform(testConfig(), { db })
  })
  afterAll(() => drop())
  const applied = async () =>
    (await sql<{ id: string }>`select app || '/' || version as id from platform.schema_migrations order by 1`.execute(db.kysely)).rows.map(
      (r) => r.id,
    )

  it('plans a revert to a given migration without changing anything, and refuses unknown targets', async () => {
    const before = await applied()
    const plan = await revertPlan(db.kysely, sources, { to: 'onedesigner/0011' })
    const after11 = before.filter((id) => id.startsWith('onedesigner/') && Number(id.split('/')[1]) > 11).reverse()
    expect(ids(plan)).toEqual(after11)
    expect(ids(plan)).toEqual(expect.arrayContaining(['onedesigner/0012', 'onedesigner/0013']))
    expect(plan[0].down).toContain('drop not null')
    expect(await applied()).toEqual(before)
    expect(await pendingMigrations(db.kysely, sources)).toEqual([])
    for (const [to, message] of [
      ['onedesigner/0999', /onedesigner has no migration 0999/],
      ['nope/0001', /no app nope; known: platform, onedesigner, bandsy/],
      ['onedesigner', /give app\/version/],
    ] as const)
      await expect(revertPlan(db.kysely, sources, { to })).rejects.toThrow(message)
    await expect(revertPlan(db.kysely, sources, { to: 'x' })).rejects.toBeInstanceOf(MigrationError)
  })

  it('expands, backfills in batches and contracts matches.expires_at, reverting with --to', async () => {
    const reverted = await migrateDown(db.kysely, sources, { to: 'onedesigner/0011' })
    expect(ids(reverted)).toEqual(expect.arrayContaining(['onedesigner/0013', 'onedesigner/0012']))
    expect(await applied()).toContain('bandsy/0010') // other apps are left alone
    expect(ids(await pendingMigrations(db.kysely, sources))).toEqual(ids(reverted).reverse())

    // Before the change: matches stored without an expiry (2,500, so the backfill takes 3 batches).
    await sql
      .raw(
        `insert into onedesigner.clients (email) values ('zd@example.test');
         insert into onedesigner.briefs (client_id, project_type, industry, budget, timeline)
           select id, 'web', 'tech', '1k', 'soon' from onedesigner.clients where email = 'zd@example.test';
         insert into onedesigner.designers (first_name, last_name, email)
           select 'D', g::text, 'zd' || g || '@example.test' from generate_series(1, 2500) g;
         insert into onedesigner.matches (client_id, designer_id, brief_id, score, reasons, created_at)
           select c.id, d.id, b.id, 50, '{}', now() - interval '1 day'
           from onedesigner.clients c join onedesigner.briefs b on b.client_id = c.id
           cross join onedesigner.designers d where c.email = 'zd@example.test' and d.email like 'zd%';`,
      )
      .execute(db.kysely)
    const nulls = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from onedesigner.matches where expires_at is null`.execute(db.kysely)).rows[0].n
    expect(await nulls()).toBe(2500)

    // Expand applies; contract stops with the command to run, and leaves 0013 pending.
    await expect(migrateUp(db.kysely, sources)).rejects.toThrow(/run `matchbase maintain onedesigner-backfill-match-expiry`/)
    expect(await applied()).toContain('onedesigner/0012')
    expect(await applied()).not.toContain('onedesigner/0013')
    // Expanded: a writer that omits the column gets the default, and a row not yet backfilled is
    // still writable and gets its expiry as it is touched.
    const one = (await sql<{ id: string }>`select id from onedesigner.matches limit 1`.execute(db.kysely)).rows[0].id
    await sql`update onedesigner.matches set score = 51 where id = ${one}`.execute(db.kysely)
    expect(await nulls()).toBe(2499)

    expect(await runJob(platform, backfillMatchExpiry)).toEqual({ updated: 2499, batches: 3, remaining: 0 })
    expect(await nulls()).toBe(0)
    const { rows } = await sql<{ ok: boolean }>`
      select bool_and(expires_at = created_at + interval '7 days') as ok from onedesigner.matches`.execute(db.kysely)
    expect(rows[0].ok).toBe(true)

    // Contract: the column is NOT NULL; the helper check and the trigger are gone.
    expect(ids(await migrateUp(db.kysely, sources))).toEqual(['onedesigner/0013'])
    const column = await sql<{ notNull: boolean; checks: number }>`
      select a.attnotnull as not_null,
        (select count(*)::int from pg_constraint where conname = 'matches_expires_at_not_null')
          + (select count(*)::int from pg_trigger where tgname = 'fill_match_expiry') as checks
      from pg_attribute a where a.attrelid = 'onedesigner.matches'::regclass and a.attname = 'expires_at'`.execute(db.kysely)
    expect(column.rows[0]).toEqual({ notNull: true, checks: 0 })
    expect(await runJob(platform, backfillMatchExpiry)).toEqual({ updated: 0, batches: 0, remaining: 0 })
  })
})
