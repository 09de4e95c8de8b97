// Every foreign key in a schema Matchbase migrates has an index whose leading columns are the
// key's columns (in any order). Without one, deleting or re-keying a referenced row (a user, a
// group) scans the whole referencing table under a lock, once per row deleted. The schemas are
// the ones the migrator has recorded (platform and each app), so a new app is covered with no edit.
// The query is `matchbase doctor`'s (src/platform/ops/doctor/foreign-key-indexes.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../../src/platform/config'
import type { Database } from '../../src/platform/db/database'
import { ALL_APPS } from '../../src/apps'
import { freshDatabase } from '../support/test-env'
import { unindexedForeignKeys } from '../../src/platform/ops/doctor/foreign-key-indexes'

describe('foreign key index catalog', () => {
  let db: Database
  let drop: () => Promise<void>
  beforeAll(async () => {
    ;({ db, drop } = await freshDatabase(testConfig()))
  })
  afterAll(() => drop())

  it('finds an index leading with every foreign key of every migrated schema', async () => {
    const { rows } = await sql<{ app: string }>`select distinct app from platform.schema_migrations order by app`.execute(db.kysely)
    const schemas = rows.map((r) => r.app)
    expect(schemas).toEqual(expect.arrayContaining(['platform', ...ALL_APPS.map((a) => a.name)]))
    const { rows: counted } = await sql<{ n: number }>`
      select count(*)::int as n from pg_constraint c join pg_namespace s on s.oid = c.connamespace
      where c.contype = 'f' and s.nspname = any(${schemas}::text[])`.execute(db.kysely)
    expect(counted[0].n).toBeGreaterThan(40)
    expect(await unindexedForeignKeys(db.kysely, schemas), 'foreign keys no index leads with').toEqual([])
  })

  it('reports a key with no index, behind another column, or only under a partial index', async () => {
    await sql
      .raw(
        `create schema fk_probe;
         create table fk_probe.parent (a int, b int, primary key (a, b));
         create table fk_probe.child (
           id int primary key, x int, a int, b int, c int, d int,
           constraint bare foreign key (a, b) references fk_probe.parent,
           constraint second foreign key (c, x) references fk_probe.parent,
           constraint partial foreign key (d, x) references fk_probe.parent,
           constraint reordered foreign key (x, a) references fk_probe.parent);
         create index on fk_probe.child (x, c);
         create index on fk_probe.child (d, x) where d > 0;
         create index on fk_probe.child (a, x, id);`,
      )
      .execute(db.kysely)
    try {
      // (c, x) is served by the (x, c) index and (x, a) by (a, x, id): column order within the key does not matter.
      expect(await unindexedForeignKeys(db.kysely, ['fk_probe'])).toEqual(['fk_probe.child (a, b) bare', 'fk_probe.child (d, x) partial'])
    } finally {
      await sql.raw('drop schema fk_probe cascade').execute(db.kysely)
    }
  })
})
