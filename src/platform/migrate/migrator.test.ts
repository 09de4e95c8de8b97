import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../config'
import { freshDatabase } from '../../../test/support/test-env'
import type { Database } from '../db/database'
import { migrateDown, migrateUp, migrationStatus, MigrationError, type MigrationSource } from './migrator'
import { schemaSnapshot } from '../../../test/support/schema-snapshot'
import { migrationSources } from '../../server'
import { ALL_APPS } from '../../apps'

describe('migrations', () => {
  let db: Database
  let drop: () => Promise<void>
  beforeAll(async () => {
    ;({ db, drop } = await freshDatabase(testConfig(), false))
  })
  afterAll(() => drop())

  it('apply up, down and up again, leaving the same schema as the first up', async () => {
    const sources = migrationSources(ALL_APPS)
    const applied = await migrateUp(db.kysely, sources)
    expect(applied.length).toBeGreaterThan(0)
    const first = await schemaSnapshot(db.kysely)
    expect(first.some((l) => l.startsWith('trigger platform.audit_log'))).toBe(true)

    const reverted = await migrateDown(db.kysely, sources, Infinity)
    expect(reverted.map((m) => `${m.app}/${m.version}`)).toEqual(applied.map((m) => `${m.app}/${m.version}`).reverse())
    const empty = await schemaSnapshot(db.kysely)
    expect(empty.filter((l) => !l.includes('schema_migrations'))).toEqual([])

    await migrateUp(db.kysely, sources)
    expect(await schemaSnapshot(db.kysely)).toEqual(first)
    expect(await migrateUp(db.kysely, sources)).toEqual([])
  })

  it('refuses to run when an applied migration was edited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'))
    const file = path.join(dir, '0001_widgets.sql')
    fs.writeFileSync(file, '-- migrate:up\ncreate table public.widgets (id int);\n-- migrate:down\ndrop table public.widgets;\n')
    const sources: MigrationSource[] = [{ app: 'widgets', dir }]
    await migrateUp(db.kysely, sources)
    fs.writeFileSync(file, '-- migrate:up\ncreate table public.widgets (id bigint);\n-- migrate:down\ndrop table public.widgets;\n')
    await expect(migrateUp(db.kysely, sources)).rejects.toThrow(/edited after it was applied/)
    const status = await migrationStatus(db.kysely, sources)
    expect(status[0].edited).toBe(true)
    await expect(migrateDown(db.kysely, sources)).rejects.toBeInstanceOf(MigrationError)
    fs.writeFileSync(file, '-- migrate:up\ncreate table public.widgets (id int);\n-- migrate:down\ndrop table public.widgets;\n')
    await migrateDown(db.kysely, sources)
    const { rows } = await sql`select to_regclass('public.widgets') as t`.execute(db.kysely)
    expect((rows[0] as { t: string | null }).t).toBeNull()
  })

  it('rejects a file without both sections', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'))
    fs.writeFileSync(path.join(dir, '0001_bad.sql'), 'create table x (id int);')
    await expect(migrateUp(db.kysely, [{ app: 'bad', dir }])).rejects.toThrow(/migrate:up/)
  })

  it('applies each migration once when two runners start together', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'))
    fs.writeFileSync(
      path.join(dir, '0001_race.sql'),
      '-- migrate:up\ncreate table public.race (id int);\n-- migrate:down\ndrop table public.race;\n',
    )
    const results = await Promise.all([migrateUp(db.kysely, [{ app: 'race', dir }]), migrateUp(db.kysely, [{ app: 'race', dir }])])
    expect(results.flat()).toHaveLength(1)
  })

  it('refuses a pending migration numbered below one already applied for the same app', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'))
    const file = (n: string, t: string) =>
      fs.writeFileSync(
        path.join(dir, `${n}_${t}.sql`),
        `-- migrate:up\ncreate table public.${t} (id int);\n-- migrate:down\ndrop table public.${t};\n`,
      )
    file('0001', 'late_a')
    file('0003', 'late_c')
    const sources: MigrationSource[] = [{ app: 'late', dir }]
    await migrateUp(db.kysely, sources)
    file('0002', 'late_b')
    await expect(migrateUp(db.kysely, sources)).rejects.toThrow(/late\/0002_late_b is pending but late\/0003_late_c is already applied/)
    const { rows } = await sql`select to_regclass('public.late_b') as t`.execute(db.kysely)
    expect((rows[0] as { t: string | null }).t).toBeNull()
    // Renumbered past the last applied one, it applies; a later number is never "behind".
    fs.renameSync(path.join(dir, '0002_late_b.sql'), path.join(dir, '0004_late_b.sql'))
    expect((await migrateUp(db.kysely, sources)).map((m) => m.version)).toEqual(['0004'])
    await migrateDown(db.kysely, sources, 3)
  })

  it('rejects two files of one app with the same number', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'))
    for (const t of ['dup_a', 'dup_b'])
      fs.writeFileSync(
        path.join(dir, `0001_${t}.sql`),
        `-- migrate:up\ncreate table public.${t} (id int);\n-- migrate:down\ndrop table public.${t};\n`,
      )
    await expect(migrateUp(db.kysely, [{ app: 'dup', dir }])).rejects.toThrow(
      /0001_dup_a.sql and 0001_dup_b.sql share migration number 0001/,
    )
  })
})
