// Every registered app's copy of a platform-owned table (sign-in codes, notifications) is the
// shape the platform's function makes (platform 0002): the same columns and types, row-level
// security enabled and forced, the same policies, grants and indexes. The reference is made by the
// functions themselves in a scratch schema, so a change to the shape and a drifting app both show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql, type Kysely } from 'kysely'
import { createTestEnv, type TestEnv } from './support/test-env'
import { TEST_APPS } from './support/test-apps'
import { PURCHASE_COLUMNS } from '../src/platform/ledger/purchases'

const PROBE = 'shape_probe'

interface Described {
  columns: { name: string; type: string; notNull: boolean; default: string | null }[]
  rls: { enabled: boolean; forced: boolean }
  policies: { name: string; cmd: string; roles: string; using: string | null; check: string | null }[]
  grants: string[]
  indexes: string[]
  checks: string[]
  comment: string | null
}

async function describeTable(db: Kysely<any>, schema: string, table: string): Promise<Described | undefined> {
  const { rows } = await sql<{ d: Described | null }>`
    with t as (select c.oid, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = ${schema} and c.relname = ${table} and c.relkind = 'r')
    select case when not exists (select 1 from t) then null else jsonb_build_object(
      'columns', (select jsonb_agg(jsonb_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                    'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid)) order by a.attnum)
                  from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                  where a.attrelid = (select oid from t) and a.attnum > 0 and not a.attisdropped),
      'rls', (select jsonb_build_object('enabled', relrowsecurity, 'forced', relforcerowsecurity) from t),
      'policies', coalesce((select jsonb_agg(jsonb_build_object('name', policyname, 'cmd', cmd, 'roles', array_to_string(roles, ','),
                    'using', qual, 'check', with_check) order by policyname)
                  from pg_policies where schemaname = ${schema} and tablename = ${table}), '[]'::jsonb),
      'grants', coalesce((select jsonb_agg(g order by g) from (
                    select privilege_type as g from information_schema.role_table_grants
                     where grantee = 'matchbase_user' and table_schema = ${schema} and table_name = ${table}
                    union all
                    select privilege_type || '(' || column_name || ')' from information_schema.column_privileges
                     where grantee = 'matchbase_user' and table_schema = ${schema} and table_name = ${table}
                       and not exists (select 1 from information_schema.role_table_grants r where r.grantee = 'matchbase_user'
                                       and r.table_schema = ${schema} and r.table_name = ${table} and r.privilege_type = column_privileges.privilege_type)
                  ) x), '[]'::jsonb),
      'indexes', coalesce((select jsonb_agg(indexdef order by indexname) from pg_indexes where schemaname = ${schema} and tablename = ${table}), '[]'::jsonb),
      'checks', coalesce((select jsonb_agg(pg_get_constraintdef(oid) order by conname) from pg_constraint
                  where conrelid = (select oid from t) and contype = 'c'), '[]'::jsonb),
      'comment', obj_description((select oid from t), 'pg_class')
    ) end as d`.execute(db)
  return rows[0].d ?? undefined
}

/** Names the schema by a placeholder, and an app's own account types by another. */
function normalize(d: Described, schema: string): Described {
  const text = JSON.stringify(d).split(`${schema}.`).join('<app>.').split(`'${schema}'`).join("'<app>'")
  const out = JSON.parse(text) as Described
  out.checks = out.checks.map((c) => (c.includes('(type)') || c.includes('type)::text = ANY') ? 'CHECK (type is one of the app types)' : c))
  // The primary key's index is named after the table, and its schema is the app's.
  out.indexes = out.indexes.map((i) => i.replace(/ ON [a-z_]+\./, ' ON <app>.'))
  return out
}

describe('platform-owned table shapes', () => {
  let env: TestEnv
  const reference: Record<string, Described> = {}

  beforeAll(async () => {
    env = await createTestEnv()
    const db = env.platform.db.kysely
    // Made and described inside a transaction that is then rolled back: the probe leaves nothing.
    await db
      .transaction()
      .execute(async (tx) => {
        await sql`create schema ${sql.id(PROBE)}`.execute(tx)
        await sql`select platform.create_otp_codes_table(${PROBE}, array['probe'])`.execute(tx)
        await sql`select platform.create_notifications_table(${PROBE})`.execute(tx)
        // As the migrator does after every up: the system and reporting roles' access (platform 0006).
        await sql`select platform.grant_runtime_access()`.execute(tx)
        for (const table of ['auth_tokens', 'notifications']) reference[table] = normalize((await describeTable(tx, PROBE, table))!, PROBE)
        throw new Error('rollback the probe')
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback the probe') throw err
      })
  })
  afterAll(() => env.close())

  it('makes the reference shapes closed to other apps and under row-level security', () => {
    expect(reference.auth_tokens.rls).toEqual({ enabled: true, forced: true })
    expect(reference.auth_tokens.grants).toEqual([])
    expect(reference.notifications.rls).toEqual({ enabled: true, forced: true })
    expect(reference.notifications.policies.map((p) => p.name)).toEqual(['notifications_recipient', 'reporting_read', 'system_access'])
    expect(reference.notifications.grants).toEqual(['SELECT', 'UPDATE(read_at)'])
  })

  for (const app of TEST_APPS.map((a) => a.name)) {
    for (const table of ['auth_tokens', 'notifications']) {
      it(`${app}.${table} is the platform's ${table} shape`, async () => {
        const d = await describeTable(env.platform.db.kysely, app, table)
        expect(d, `${app}.${table} is missing: create it with the platform function (platform 0002)`).toBeDefined()
        expect(normalize(d!, app)).toEqual(reference[table])
      })
    }
  }

  it('gives every purchase table of the platform purchase flow the shared columns, under RLS with policies', async () => {
    const db = env.platform.db.kysely
    // A table that records provider payments is a purchase table, whatever it is called.
    const { rows } = await sql<{ name: string }>`
      select table_schema || '.' || table_name as name from information_schema.columns
      where column_name = 'provider_payment_id' and table_schema <> ${PROBE} order by 1`.execute(db)
    const tables = rows.map((r) => r.name)
    expect(tables).toEqual(expect.arrayContaining(['bandsy.subscription_purchases', 'onedesigner.credit_purchases']))
    for (const qualified of tables) {
      const [schema, table] = qualified.split('.')
      const d = await describeTable(db, schema, table)
      expect(d, qualified).toBeDefined()
      const columns = new Map(d!.columns.map((c) => [c.name, c]))
      for (const [name, type] of Object.entries(PURCHASE_COLUMNS)) {
        expect(columns.get(name)?.type, `${qualified}.${name}`).toBe(type)
      }
      expect(d!.rls, qualified).toEqual({ enabled: true, forced: true })
      expect(d!.policies.length, `${qualified} policies`).toBeGreaterThan(0)
      expect(
        d!.checks.some((c) => c.includes("'refunded'")),
        `${qualified} status allows refunded`,
      ).toBe(true)
    }
  })
})
