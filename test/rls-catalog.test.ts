// Every table in Matchbase's schemas has row-level security enabled and forced, and every table
// the API's database role may touch has at least one policy for it. A new table that forgets
// either fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from './support/test-env'

describe('row-level security catalog', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('enables and forces RLS on every table', async () => {
    const { rows } = await sql<{ name: string; enabled: boolean; forced: boolean }>`
      select n.nspname || '.' || c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'public', 'pgboss')
        and n.nspname not like 'pg\\_%' and c.relname <> 'schema_migrations'`.execute(env.platform.db.kysely)
    expect(rows.length).toBeGreaterThan(10)
    const unguarded = rows.filter((r) => !r.enabled || !r.forced).map((r) => r.name)
    expect(unguarded).toEqual([])
  })

  it('gives every table the user role can reach at least one policy', async () => {
    const { rows } = await sql<{ name: string; policies: number }>`
      select g.table_schema || '.' || g.table_name as name,
             (select count(*) from pg_policies p where p.schemaname = g.table_schema and p.tablename = g.table_name)::int as policies
      from (select distinct table_schema, table_name from information_schema.role_table_grants where grantee = 'matchbase_user'
            union
            select distinct table_schema, table_name from information_schema.column_privileges where grantee = 'matchbase_user') g
      join pg_class c on c.relname = g.table_name join pg_namespace n on n.oid = c.relnamespace and n.nspname = g.table_schema
      where c.relkind in ('r', 'p')`.execute(env.platform.db.kysely)
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.filter((r) => r.policies === 0).map((r) => r.name)).toEqual([])
  })
})
