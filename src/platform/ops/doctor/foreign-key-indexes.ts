// Foreign keys that no index leads with. Without one, deleting or re-keying a referenced row (a
// user, a group) scans the whole referencing table under a lock, once per row deleted. Shared by
// `matchbase doctor` and the catalog test (test/catalog/foreign-key-indexes.test.ts).
import { sql } from 'kysely'
import type { Db } from '../../db/database'

/** Foreign keys in `schemas` that no non-partial index leads with, as "schema.table (columns) name". */
export async function unindexedForeignKeys(db: Db, schemas: string[]): Promise<string[]> {
  // A partial index does not count: the referential check on delete looks at every row. The key's
  // columns may come in any order among the index's leading columns.
  const { rows } = await sql<{ fk: string }>`
    select c.conrelid::regclass::text || ' (' ||
           (select string_agg(a.attname, ', ' order by k.ord) from unnest(c.conkey) with ordinality k(attnum, ord)
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum) || ') ' || c.conname as fk
    from pg_constraint c join pg_namespace n on n.oid = c.connamespace
    where c.contype = 'f' and n.nspname = any(${schemas}::text[])
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.conrelid and i.indpred is null
          and cardinality(c.conkey) <= i.indnkeyatts
          and (select array_agg(x order by x) from unnest((string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)]) x)
            = (select array_agg(x order by x) from unnest(c.conkey) x))
    order by 1`.execute(db)
  return rows.map((r) => r.fk)
}
