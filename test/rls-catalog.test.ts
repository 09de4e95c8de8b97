// Every table in Matchbase's schemas has row-level security enabled and forced, and every table
// the API's database role may touch has at least one policy for it. A new table that forgets
// either fails here. Tables deliberately closed to users (no policy at all) are listed below by
// name, and must then give the user role no privilege whatsoever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from './support/test-env'

/**
 * Closed: no user grants. Only the owner role (auth service, idempotency layer, mailer) touches these.
 * Every app's sign-in codes are closed too: the tables of the platform's otp_codes shape (platform
 * 0002 marks them), found in the catalog so that a new app needs no line here.
 */
const CLOSED = ['platform.dev_mailbox', 'platform.idempotency_keys', 'platform.refresh_tokens', 'platform.session_revocations']
/** Views the user role may read, and why that is safe. */
const USER_VIEWS: Record<string, string> = {
  'onedesigner.my_designer_stats': "a security_barrier view filtered by platform.uid(): a designer's own row of the stats",
}
const APP_SCHEMAS = sql`n.nspname not in ('pg_catalog', 'information_schema', 'public', 'pgboss') and n.nspname not like 'pg\\_%'`

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

  it('gives every other table a policy, and the closed ones no grant at all', async () => {
    const db = env.platform.db.kysely
    const { rows } = await sql<{ name: string; policies: number; privileges: string[]; shape: string | null }>`
      select n.nspname || '.' || c.relname as name, obj_description(c.oid, 'pg_class') as shape,
             (select count(*) from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname)::int as policies,
             array(select p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                   where has_table_privilege('matchbase_user', c.oid, p)
                      or (p in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') and has_any_column_privilege('matchbase_user', c.oid, p))) as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and ${APP_SCHEMAS}
      order by 1`.execute(db)
    const byName = new Map(rows.map((r) => [r.name, r]))
    const codes = rows.filter((r) => r.shape === 'platform shape: otp_codes').map((r) => r.name)
    expect(codes, 'sign-in code tables').toEqual(expect.arrayContaining(['bandsy.auth_tokens', 'onedesigner.auth_tokens']))
    const closed = [...CLOSED, ...codes]
    expect(
      CLOSED.filter((t) => !byName.has(t)),
      'closed tables that do not exist',
    ).toEqual([])
    const unlisted = rows.filter((r) => r.policies === 0 && !closed.includes(r.name) && r.name !== 'platform.schema_migrations')
    expect(
      unlisted.map((r) => r.name),
      'tables with no policy that are not listed as closed',
    ).toEqual([])
    const leaking = [...closed, 'platform.schema_migrations'].map((t) => byName.get(t)!).filter((r) => r.privileges.length > 0)
    expect(
      leaking.map((r) => `${r.name}: ${r.privileges.join(', ')}`),
      'closed tables the user role has privileges on',
    ).toEqual([])
  })

  it('gives the user role no way around row-level security', async () => {
    const db = env.platform.db.kysely
    const { rows: role } = await sql<{ super: boolean; bypass: boolean }>`
      select rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = 'matchbase_user'`.execute(db)
    expect(role).toEqual([{ super: false, bypass: false }])
    // A table's owner skips its policies unless forced; the user role owns nothing.
    const { rows: owned } = await sql<{ name: string }>`
      select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where pg_get_userbyid(c.relowner) = 'matchbase_user'`.execute(db)
    expect(owned).toEqual([])
    // Views run with their owner's rights: each one the user role can read is listed with its reason.
    const { rows: views } = await sql<{ name: string }>`
      select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm') and ${APP_SCHEMAS} and has_table_privilege('matchbase_user', c.oid, 'SELECT')
      order by 1`.execute(db)
    expect(views.map((v) => v.name)).toEqual(Object.keys(USER_VIEWS).sort())
  })
})
