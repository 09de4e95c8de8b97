// What runs on either driver: schema changes land in the audit log, the runtime grants reach
// every table, role setup refuses bad input, and the CLI says plainly when it cannot help.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../../config'
import type { Database } from '../../db/database'
import { migrateDown, migrateUp } from '../../migrate/migrator'
import { migrationSources } from '../../../server'
import { ALL_APPS } from '../../../apps'
import { freshDatabase, onServer } from '../../../../test/support/test-env'
import { RolesError, scramVerifier, setupRoles } from './setup'

const run = promisify(execFile)

describe('schema changes and runtime grants', () => {
  let db: Database
  let drop: () => Promise<void>
  beforeAll(async () => {
    ;({ db, drop } = await freshDatabase(testConfig(), false))
  })
  afterAll(() => drop())

  it('audits every migration applied and reverted, with who and when', async () => {
    const sources = migrationSources(ALL_APPS)
    const applied = await migrateUp(db.kysely, sources)
    const ups = await db.kysely
      .selectFrom('platform.auditLog')
      .select(['app', 'action', 'actorRole', 'subjectType', 'subjectId', 'at', 'data'])
      .where('action', '=', 'schema.migrate.up')
      .orderBy('id')
      .execute()
    // Recorded after the migration's SQL, in its transaction: platform/0001 records its own making of the log.
    expect(ups.map((u) => u.subjectId)).toEqual(applied.map((m) => `${m.app}/${m.version}_${m.name}`))
    expect(ups[0]).toMatchObject({ subjectType: 'migration', actorRole: expect.any(String), at: expect.any(Date) })
    expect(ups[0]!.data).toMatchObject({ checksum: expect.any(String), osUser: expect.anything() })

    const [reverted] = await migrateDown(db.kysely, sources, 1)
    const down = await db.kysely.selectFrom('platform.auditLog').select(['subjectId']).where('action', '=', 'schema.migrate.down').execute()
    expect(down).toEqual([{ subjectId: `${reverted!.app}/${reverted!.version}_${reverted!.name}` }])
    await migrateUp(db.kysely, sources)
  })

  it('gives the system role a policy on every table under row-level security, and reporting none on secrets', async () => {
    const { rows } = await sql<{ name: string; system: boolean; reporting: boolean; secret: boolean }>`
      select c.oid::regclass::text as name,
             exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = 'system_access') as system,
             has_table_privilege('matchbase_reporting', c.oid, 'SELECT') as reporting,
             platform.is_secret_table(c.oid) as secret
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and c.relrowsecurity and not c.relispartition
        and n.nspname not in ('pg_catalog', 'information_schema', 'pgboss')`.execute(db.kysely)
    expect(rows.length).toBeGreaterThan(30)
    expect(rows.filter((r) => !r.system).map((r) => r.name)).toEqual([])
    expect(rows.filter((r) => r.secret && r.reporting).map((r) => r.name)).toEqual([])
    const secrets = rows.filter((r) => r.secret).map((r) => r.name)
    expect(secrets).toEqual(
      expect.arrayContaining([
        'platform.admin_second_factors',
        'platform.admin_recovery_codes',
        'platform.refresh_tokens',
        'onedesigner.auth_tokens',
        'bandsy.auth_tokens',
      ]),
    )
    expect(rows.find((r) => r.name === 'onedesigner.designers')).toMatchObject({ reporting: true, secret: false })
  })

  it('refuses role names that are not plain identifiers, reserved names and short passwords', async () => {
    await expect(setupRoles(db.kysely, { apiRole: `x"; drop table platform.audit_log; --` })).rejects.toThrow(RolesError)
    await expect(setupRoles(db.kysely, { apiRole: 'matchbase_user' })).rejects.toThrow(/group role/)
    await expect(setupRoles(db.kysely, { apiRole: 'same', reportingRole: 'same' })).rejects.toThrow(/must differ/)
    await expect(setupRoles(db.kysely, { apiPassword: 'short' })).rejects.toThrow(/at least 12/)
  })

  it('writes SCRAM-SHA-256 verifiers, never the password', () => {
    const v = scramVerifier('correct horse battery', Buffer.alloc(16, 1))
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/)
    expect(v).not.toContain('correct horse')
    expect(scramVerifier('correct horse battery', Buffer.alloc(16, 1))).toBe(v)
  })
})

// The CLI runs without a database here, so once is enough: in the PGlite pass.
describe.skipIf(onServer)('matchbase roles setup (CLI)', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run('node_modules/.bin/tsx', ['src/cli/main.ts', ...args], {
      env: { ...process.env, DATABASE_URL: '', DATABASE_OWNER_URL: '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )

  it('explains that embedded PGlite has no roles to set up (exit 1, no stack trace)', async () => {
    const res = await cli(['roles', 'setup'])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/roles setup is for a Postgres server/)
    expect(res.stderr).not.toMatch(/\n\s+at /)
  }, 60_000)

  it('refuses an unreadable password file with a clear message', async () => {
    const res = await cli(['roles', 'setup', '--api-password-file', 'no/such/file'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/cannot read the API password file no\/such\/file: ENOENT/)
  }, 60_000)
})
