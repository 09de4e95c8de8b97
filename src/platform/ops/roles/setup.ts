// `matchbase roles setup`: the API and reporting login roles, made (or brought back in line) by
// the owner. Idempotent: a second run changes nothing but the passwords it is given.
//   API role        LOGIN, no superuser, no BYPASSRLS, no CREATEDB/CREATEROLE/REPLICATION, owns
//                   nothing; member of matchbase_user (requests: SET ROLE, row-level security)
//                   and matchbase_system (system work through grants and system_access policies).
//   reporting role  LOGIN, read-only by default, member of matchbase_reporting (SELECT on the
//                   business tables, no secrets).
// Passwords are sent as SCRAM-SHA-256 verifiers, as psql's \password does, so the plain text never
// reaches the server or its statement log.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import type { Db, Tx } from '../../db/database'
import { USER_ROLE } from '../../db/with-user'
import { grantRuntimeAccess } from './schema-changes'

export const SYSTEM_ROLE = 'matchbase_system'
export const REPORTING_GROUP = 'matchbase_reporting'
export const DEFAULT_API_ROLE = 'matchbase_api'
export const DEFAULT_REPORTING_ROLE = 'matchbase_reader'

export class RolesError extends Error {}

export interface RolesSetupOptions {
  apiRole?: string
  apiPassword?: string
  reportingRole?: string
  reportingPassword?: string
}

export interface RoleOutcome {
  role: string
  /** created: new; updated: existed, attributes (and password, when given) set again. */
  state: 'created' | 'updated'
  passwordSet: boolean
  memberOf: string[]
}

export interface RolesSetupResult {
  owner: string
  database: string
  roles: RoleOutcome[]
  /** Tables that got grants and policies for the runtime roles. */
  tables: number
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/
const RESERVED = new Set([USER_ROLE, SYSTEM_ROLE, REPORTING_GROUP, 'postgres', 'public'])
// Concurrent setups on one cluster (roles are cluster-wide) may collide on pg_authid.
const RACE_CODES = new Set(['23505', '42710', 'XX000', '40001', '40P01'])

/** A SCRAM-SHA-256 verifier (RFC 5802, 7677) in the form Postgres stores: the server never sees the password. */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

function checkName(name: string, what: string): string {
  if (!ROLE_NAME.test(name))
    throw new RolesError(`${what} "${name}" must be lower-case letters, digits and _ (at most 63, not starting with a digit)`)
  if (RESERVED.has(name)) throw new RolesError(`${what} cannot be ${name}: that name is Matchbase's own group role or a built-in`)
  return name
}

function checkPassword(password: string | undefined, what: string): string | undefined {
  if (password === undefined) return undefined
  if (password.length < 12) throw new RolesError(`${what} must be at least 12 characters`)
  return password
}

export async function setupRoles(db: Db, opts: RolesSetupOptions = {}): Promise<RolesSetupResult> {
  const apiRole = checkName(opts.apiRole ?? DEFAULT_API_ROLE, 'the API role')
  const reportingRole = checkName(opts.reportingRole ?? DEFAULT_REPORTING_ROLE, 'the reporting role')
  if (apiRole === reportingRole) throw new RolesError('the API role and the reporting role must differ')
  const apiPassword = checkPassword(opts.apiPassword, 'the API password')
  const reportingPassword = checkPassword(opts.reportingPassword, 'the reporting password')

  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((tx) => setupIn(tx, { apiRole, apiPassword, reportingRole, reportingPassword }))
    } catch (err) {
      const code = (err as { code?: string }).code
      if (attempt >= 5 || !code || !RACE_CODES.has(code)) throw err
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100))
    }
  }
}

interface Resolved {
  apiRole: string
  apiPassword?: string
  reportingRole: string
  reportingPassword?: string
}

async function setupIn(tx: Tx, o: Resolved): Promise<RolesSetupResult> {
  const { rows: who } = await sql<{
    owner: string
    database: string
    superuser: boolean
    createrole: boolean
    bypassrls: boolean
    migrated: boolean
  }>`
    select current_user as owner, current_database() as database, r.rolsuper as superuser, r.rolcreaterole as createrole,
           r.rolbypassrls as bypassrls, to_regprocedure('platform.grant_runtime_access()') is not null as migrated
    from pg_roles r where r.rolname = current_user`.execute(tx)
  const me = who[0]!
  if (!me.migrated)
    throw new RolesError('The database is not migrated to platform/0006 yet: run `matchbase migrate up` (as the owner) first')
  if (!me.superuser && !me.createrole)
    throw new RolesError(`${me.owner} may not create roles: run this as a superuser or a role with CREATEROLE`)
  if (o.apiRole === me.owner || o.reportingRole === me.owner)
    throw new RolesError(`the login roles must not be the owner (${me.owner}): the API role owns nothing`)
  await sql`select pg_advisory_xact_lock(hashtextextended('matchbase roles setup', 0))`.execute(tx)

  const roles: RoleOutcome[] = []
  roles.push(await loginRole(tx, o.apiRole, o.apiPassword, [USER_ROLE, SYSTEM_ROLE], false))
  roles.push(await loginRole(tx, o.reportingRole, o.reportingPassword, [REPORTING_GROUP], true))

  // Owning anything would let the role ALTER or DROP it, and escape row-level security (FORCE applies to owners, but owners may turn it off).
  const { rows: owned } = await sql<{ what: string }>`
    select 'schema ' || n.nspname as what from pg_namespace n where n.nspowner = (select oid from pg_roles where rolname = ${o.apiRole})
    union all
    select 'table ' || c.oid::regclass::text from pg_class c where c.relowner = (select oid from pg_roles where rolname = ${o.apiRole})
    union all
    select 'function ' || p.oid::regprocedure::text from pg_proc p where p.proowner = (select oid from pg_roles where rolname = ${o.apiRole})`.execute(
    tx,
  )
  if (owned.length)
    throw new RolesError(
      `${o.apiRole} owns ${owned.map((r) => r.what).join(', ')}; it must own nothing. Move them to the owner: REASSIGN OWNED BY ${o.apiRole} TO ${me.owner}`,
    )

  await sql
    .raw(`grant connect, temporary on database ${quoteIdent(me.database)} to ${quoteIdent(o.apiRole)}, ${quoteIdent(o.reportingRole)}`)
    .execute(tx)
  const tables = await grantRuntimeAccess(tx)
  await sql`
    insert into platform.audit_log (app, actor_id, actor_role, action, subject_type, subject_id, data)
    values ('platform', null, current_user, 'roles.setup', 'database', current_database(),
            ${JSON.stringify({ roles: roles.map((r) => ({ role: r.role, state: r.state, passwordSet: r.passwordSet })) })}::jsonb)`.execute(
    tx,
  )
  return { owner: me.owner, database: me.database, roles, tables }
}

async function loginRole(tx: Tx, role: string, password: string | undefined, memberOf: string[], readOnly: boolean): Promise<RoleOutcome> {
  const { rows } = await sql<{ superuser: boolean }>`select rolsuper as superuser from pg_roles where rolname = ${role}`.execute(tx)
  const exists = rows.length > 0
  const verifier = password === undefined ? '' : ` password ${quoteLiteral(scramVerifier(password))}`
  const attributes = 'login nosuperuser nobypassrls nocreatedb nocreaterole noreplication inherit'
  if (!exists) {
    if (password === undefined)
      throw new RolesError(`${role} does not exist yet: give it a password (see \`matchbase roles setup --help\`)`)
    await sql.raw(`create role ${quoteIdent(role)} ${attributes}${verifier}`).execute(tx)
  } else {
    await sql.raw(`alter role ${quoteIdent(role)} ${attributes}${verifier}`).execute(tx)
  }
  for (const group of memberOf) await sql.raw(`grant ${quoteIdent(group)} to ${quoteIdent(role)}`).execute(tx)
  // The reporting login reads: its sessions start read-only, and its group has SELECT only.
  await sql.raw(`alter role ${quoteIdent(role)} set default_transaction_read_only = ${readOnly ? 'on' : 'off'}`).execute(tx)
  return { role, state: exists ? 'updated' : 'created', passwordSet: password !== undefined, memberOf }
}

const quoteIdent = (s: string) => pg.escapeIdentifier(s)
const quoteLiteral = (s: string) => pg.escapeLiteral(s)
