import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../../config'
import type { Database } from '../../db/database'
import { freshDatabase, onServer } from '../../../../test/support/test-env'
import { formatDoctorReport, runDoctor } from './doctor'
import { MaintenanceError, runMaintenance } from './maintain'

// A schema recorded as migrated, holding the faults the doctor looks for: identical and prefix
// indexes, a foreign key without an index, a table and index with most of their rows deleted.
const PROBE = `
  create schema doctor_probe;
  create table doctor_probe.parent (id int primary key);
  create table doctor_probe.child (id int primary key, parent_id int references doctor_probe.parent, a int, b int, pad text);
  create index child_a on doctor_probe.child (a);
  create index child_a_again on doctor_probe.child (a);
  create index child_a_b on doctor_probe.child (a, b);
  insert into doctor_probe.parent values (1);
  insert into doctor_probe.child select g, 1, g, g, repeat('x', 200) from generate_series(1, 20000) g;
  analyze doctor_probe.child;
  delete from doctor_probe.child where id > 2000;
  insert into platform.schema_migrations (app, version, name, checksum) values ('doctor_probe', '0001', 'probe', 'x');`

describe('matchbase doctor and maintain', () => {
  let db: Database
  let drop: () => Promise<void>
  beforeAll(async () => {
    ;({ db, drop } = await freshDatabase(testConfig()))
    await sql.raw(PROBE).execute(db.kysely)
  })
  afterAll(() => drop())

  it('finds duplicate and redundant indexes, an unindexed foreign key and bloat, and says what it cannot check', async () => {
    const report = await runDoctor(db.kysely, db.driver, { minBloatBytes: 64 * 1024 })
    expect(report.schemas).toEqual(expect.arrayContaining(['platform', 'onedesigner', 'bandsy', 'doctor_probe']))
    expect(report.duplicateIndexes.filter((d) => d.index.startsWith('doctor_probe.'))).toEqual([
      expect.objectContaining({ index: 'doctor_probe.child_a', coveredBy: 'doctor_probe.child_a_b', kind: 'prefix' }),
      expect.objectContaining({ index: 'doctor_probe.child_a_again', coveredBy: 'doctor_probe.child_a', kind: 'identical' }),
      expect.objectContaining({ index: 'doctor_probe.child_a_again', coveredBy: 'doctor_probe.child_a_b', kind: 'prefix' }),
    ])
    // The apps' own schemas have none (their foreign keys are all indexed: test/catalog).
    expect(report.unindexedForeignKeys).toEqual(['doctor_probe.child (parent_id) child_parent_id_fkey'])
    // Statistics still say 20,000 rows until the next ANALYZE; refresh them as autovacuum would.
    await sql`analyze doctor_probe.child`.execute(db.kysely)
    const after = await runDoctor(db.kysely, db.driver, { minBloatBytes: 64 * 1024 })
    const child = after.tableBloat.find((t) => t.table === 'doctor_probe.child')!
    expect(child.wastedRatio).toBeGreaterThan(0.8)
    expect(after.indexBloat.find((i) => i.index === 'doctor_probe.child_a_b')!.wastedRatio).toBeGreaterThan(0.5)
    // No test server preloads pg_stat_statements, and PGlite has none: a note, not an empty list.
    expect(after.slowQueries).toBeNull()
    expect(after.notes.join('\n')).toMatch(/pg_stat_statements is (not available|not loaded)/)
    if (onServer) {
      expect(after.unusedIndexes!.map((i) => i.index)).toEqual(
        expect.arrayContaining(['doctor_probe.child_a_again', 'doctor_probe.child_a_b']),
      )
      expect(after.unusedIndexes!.map((i) => i.index)).not.toContain('doctor_probe.child_pkey')
    } else {
      expect(after.unusedIndexes).toBeNull()
      expect(after.notes.join('\n')).toMatch(/PGlite runs no autovacuum/)
    }
    const text = formatDoctorReport(after)
    expect(text).toMatch(/== Duplicate or redundant indexes\n( {2}.*\n)* {2}doctor_probe\.child_a +a prefix of doctor_probe\.child_a_b\n/)
    expect(text).toMatch(/== Foreign keys without an index\n {2}doctor_probe\.child \(parent_id\)/)
  })

  it('vacuums, reindexes and analyzes table by table, shrinking what was deleted', async () => {
    const vacuumed = await runMaintenance(db.kysely, 'vacuum', { tables: ['doctor_probe.child'] })
    // The deleted rows were the table's tail: VACUUM gives those pages back to the file system.
    expect(vacuumed[0].bytesAfter).toBeLessThan(vacuumed[0].bytesBefore / 2)
    const reindexed = await runMaintenance(db.kysely, 'reindex', { tables: ['doctor_probe.child'] })
    expect(reindexed[0].bytesAfter).toBeLessThan(reindexed[0].bytesBefore)
    const seen: string[] = []
    const all = await runMaintenance(db.kysely, 'analyze', { onTable: (_d, _t, table) => table && seen.push(table) })
    expect(all.length).toBeGreaterThan(30)
    expect(seen).toEqual(all.map((r) => r.table))
    expect(seen).toEqual(expect.arrayContaining(['onedesigner.designers', 'platform.audit_log', 'doctor_probe.child']))
    const analyzed = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_all_tables where schemaname = 'doctor_probe' and last_analyze is not null`.execute(db.kysely)
    expect(analyzed.rows[0].n).toBe(2)
  })

  it('refuses an unknown table by name, before touching any', async () => {
    await expect(runMaintenance(db.kysely, 'vacuum', { tables: ['doctor_probe.child', 'nope.missing'] })).rejects.toThrow(
      new MaintenanceError('Unknown table nope.missing: give schema.table of a migrated table (see `matchbase doctor`).'),
    )
  })
})
