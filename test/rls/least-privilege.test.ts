// The least-privilege roles on a server (issue 13): the API login role that `matchbase roles
// setup` makes owns nothing, cannot bypass row-level security, cannot change the schema, and sees
// no other user's rows; the reporting role reads the business tables, writes nothing and reads no
// secrets. PGlite is one superuser session with no logins to compare, so this runs on a server.
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, describeOnServer, directServerUrl, type TestEnv } from '../support/test-env'
import { withDatabase } from '../support/global-setup'
import { openDatabase, type Database } from '../../src/platform/db/database'
import { testConfig } from '../../src/platform/config'
import { aClient, aDesigner } from '../support/onedesigner'
import { withUser } from '../../src/platform/db/with-user'
import { API_TEST_ROLE, asTestRole, REPORTING_TEST_ROLE, setupTestRoles } from '../support/api-role'
import { RolesError, setupRoles } from '../../src/platform/ops/roles/setup'

describeOnServer('least-privilege roles', () => {
  let env: TestEnv
  let api: pg.Client
  let reporting: pg.Client
  let owner: pg.Client
  let ownerDb: Database
  const sqlOwner = () => ownerDb.kysely

  /** The SQLSTATE a statement fails with, or 'ok'. */
  const failure = async (client: pg.Client, text: string) => {
    try {
      await client.query(text)
      return 'ok'
    } catch (err) {
      return (err as { code?: string }).code
    }
  }

  beforeAll(async () => {
    env = await createTestEnv({ role: 'api' })
    const ownerUrl = withDatabase(directServerUrl!, new URL(env.databaseDirectUrl!).pathname.slice(1))
    owner = new pg.Client({ connectionString: ownerUrl })
    ownerDb = await openDatabase(testConfig(), { url: ownerUrl })
    api = new pg.Client({ connectionString: env.databaseDirectUrl })
    reporting = new pg.Client({ connectionString: asTestRole(env.databaseDirectUrl!, 'reporting') })
    await Promise.all([owner.connect(), api.connect(), reporting.connect()])
  })
  afterAll(async () => {
    await Promise.all([api.end(), reporting.end(), owner.end(), ownerDb.close()])
    await env.close()
  })

  it('connects the API as a role that owns nothing and has no superuser, BYPASSRLS or CREATEROLE', async () => {
    const { rows } = await api.query(`
      select current_user as role, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
        (select count(*)::int from pg_class where relowner = r.oid) + (select count(*)::int from pg_namespace where nspowner = r.oid)
          + (select count(*)::int from pg_proc where proowner = r.oid) as owned
      from pg_roles r where r.rolname = current_user`)
    expect(rows[0]).toEqual({
      role: API_TEST_ROLE,
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      owned: 0,
    })
    // And the platform itself runs as it.
    const { rows: platformRole } = await sql<{ role: string }>`select current_user as role`.execute(env.platform.db.kysely)
    expect(platformRole[0]!.role).toBe(API_TEST_ROLE)
  })

  it('cannot change the schema or switch row-level security off', async () => {
    expect(await failure(api, 'alter table onedesigner.designers add column sneaky int')).toBe('42501')
    expect(await failure(api, 'alter table onedesigner.designers disable row level security')).toBe('42501')
    expect(await failure(api, 'drop policy system_access on onedesigner.designers')).toBe('42501')
    expect(await failure(api, 'drop table platform.audit_log')).toBe('42501')
    expect(await failure(api, 'create table platform.sneaky (id int)')).toBe('42501')
    expect(await failure(api, 'create schema sneaky')).toBe('42501')
    expect(await failure(api, 'truncate platform.audit_log')).toBe('42501')
    expect(await failure(api, 'set role postgres')).toBe('42501')
    // The audit log stays append-only for it too.
    expect(await failure(api, 'delete from platform.audit_log')).toBe('42501')
  })

  it('cannot bypass row-level security as a user: row_security off is refused, other users’ rows are not seen', async () => {
    const alice = await aClient(env.platform)
    const bob = await aClient(env.platform)
    await aDesigner(env.platform, { approved: false })
    const claims = (id: string) => ({ sub: id, role: 'client', app: 'onedesigner' })
    const seen = await withUser(env.platform.db.kysely, claims(alice.id), async (tx) => {
      const own = await sql<{ n: number }>`select count(*)::int as n from onedesigner.clients where id = ${alice.id}`.execute(tx)
      const other = await sql<{ n: number }>`select count(*)::int as n from onedesigner.clients where id = ${bob.id}`.execute(tx)
      const unapproved = await sql<{ n: number }>`select count(*)::int as n from onedesigner.designers where not is_approved`.execute(tx)
      return { own: own.rows[0]!.n, other: other.rows[0]!.n, unapproved: unapproved.rows[0]!.n }
    })
    expect(seen).toEqual({ own: 1, other: 0, unapproved: 0 })

    await api.query('begin')
    await api.query(`select set_config('role', 'matchbase_user', true), set_config('request.claims', $1, true)`, [
      JSON.stringify(claims(alice.id)),
    ])
    await api.query('set local row_security = off')
    expect(await failure(api, 'select count(*) from onedesigner.clients')).toBe('42501')
    await api.query('rollback')
  })

  it('lets the reporting role read the business tables, but write nothing and read no secrets', async () => {
    await aClient(env.platform)
    const { rows } = await reporting.query('select count(*)::int as n from onedesigner.clients')
    expect(rows[0].n).toBeGreaterThan(0)
    expect(await failure(reporting, `update onedesigner.clients set first_name = 'x'`)).toBe('25006') // read-only session
    await reporting.query('begin read write')
    expect(await failure(reporting, `update onedesigner.clients set first_name = 'x'`)).toBe('42501')
    await reporting.query('rollback')
    await reporting.query('begin read write')
    expect(await failure(reporting, `insert into platform.audit_log (app, action) values ('x', 'x')`)).toBe('42501')
    await reporting.query('rollback')
    for (const secret of [
      'platform.refresh_tokens',
      'platform.admin_second_factors',
      'platform.admin_recovery_codes',
      'onedesigner.auth_tokens',
    ])
      expect(await failure(reporting, `select * from ${secret} limit 1`), secret).toBe('42501')
    const { rows: me } = await reporting.query('select current_user as role')
    expect(me[0].role).toBe(REPORTING_TEST_ROLE)
  })

  it('is idempotent, and refuses an API role that owns something', async () => {
    const again = await setupTestRoles(sqlOwner())
    expect(again.roles.map((r) => r.state)).toEqual(['updated', 'updated'])
    const audit = await owner.query(`select count(*)::int as n from platform.audit_log where action = 'roles.setup'`)
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(2)

    const squatter = `mb_squatter_${process.pid}`
    await owner.query(`create role ${squatter} nologin`)
    try {
      await owner.query(`create table platform.squatted (id int); alter table platform.squatted owner to ${squatter}`)
      await expect(
        setupRoles(sqlOwner(), { apiRole: squatter, apiPassword: 'long-enough-password', reportingRole: REPORTING_TEST_ROLE }),
      ).rejects.toThrow(/owns table platform.squatted.*REASSIGN OWNED/)
      await expect(
        setupRoles(sqlOwner(), { apiRole: squatter, apiPassword: 'long-enough-password', reportingRole: REPORTING_TEST_ROLE }),
      ).rejects.toBeInstanceOf(RolesError)
    } finally {
      await owner.query('drop table if exists platform.squatted')
      await owner.query(`drop role ${squatter}`)
    }
  })
})
