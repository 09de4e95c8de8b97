// `matchbase roles setup`: the least-privilege login roles (src/platform/ops/roles/setup.ts).
import fs from 'node:fs'
import { type Command, InvalidArgumentError } from 'commander'
import { loadConfig } from '../../platform/config'
import { openDatabase } from '../../platform/db/database'
import { asOwner } from '../../platform/ops/roles/owner-database'
import { DEFAULT_API_ROLE, DEFAULT_REPORTING_ROLE, RolesError, setupRoles } from '../../platform/ops/roles/setup'

interface SetupOptions {
  apiRole: string
  reportingRole: string
  apiPasswordFile?: string
  reportingPasswordFile?: string
}

function readPassword(file: string | undefined, what: string): string | undefined {
  if (file === undefined) return undefined
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** The URL a role connects with: the owner's host, port and database, the password elided. */
export function urlFor(ownerUrl: string, role: string): string {
  const u = new URL(ownerUrl)
  u.username = role
  u.password = 'PASSWORD'
  return u.toString()
}

export function registerRoles(program: Command) {
  const roles = program.command('roles').description('least-privilege database roles (owner, API, reporting)')
  roles
    .command('setup')
    .description(
      'create or update the API login role (owns nothing, no BYPASSRLS) and the read-only reporting role; run with the owner ' +
        '(DATABASE_OWNER_URL, or DATABASE_URL when unset) after `matchbase migrate up`. Passwords come from ' +
        'DATABASE_API_PASSWORD / DATABASE_REPORTING_PASSWORD or the --*-password-file options and are never printed; ' +
        'an existing role keeps its password when none is given',
    )
    .option('--api-role <name>', 'name of the API login role', DEFAULT_API_ROLE)
    .option('--reporting-role <name>', 'name of the reporting login role', DEFAULT_REPORTING_ROLE)
    .option('--api-password-file <file>', "file holding the API role's password (instead of DATABASE_API_PASSWORD)")
    .option('--reporting-password-file <file>', "file holding the reporting role's password (instead of DATABASE_REPORTING_PASSWORD)")
    .action(async (opts: SetupOptions) => {
      const config = asOwner(loadConfig())
      if (config.embedded)
        throw new InvalidArgumentError('roles setup is for a Postgres server: set DATABASE_URL (and DATABASE_OWNER_URL for the owner)')
      const apiPassword = readPassword(opts.apiPasswordFile, 'API password') ?? config.DATABASE_API_PASSWORD
      const reportingPassword = readPassword(opts.reportingPasswordFile, 'reporting password') ?? config.DATABASE_REPORTING_PASSWORD
      const db = await openDatabase(config)
      try {
        const result = await setupRoles(db.kysely, {
          apiRole: opts.apiRole,
          reportingRole: opts.reportingRole,
          apiPassword,
          reportingPassword,
        })
        for (const r of result.roles)
          console.log(
            `${r.state.padEnd(8)} ${r.role.padEnd(20)} member of ${r.memberOf.join(', ')}${r.passwordSet ? ', password set' : ''}`,
          )
        console.log(`${result.tables} tables granted to the runtime roles in ${result.database} (owner: ${result.owner})`)
        const owner = config.DATABASE_URL!
        console.log('Connect with:')
        console.log(`  DATABASE_OWNER_URL=${urlFor(owner, result.owner)}   # migrations, job scheduler`)
        console.log(`  DATABASE_URL=${urlFor(owner, opts.apiRole)}`)
        console.log(`  reporting: ${urlFor(owner, opts.reportingRole)}`)
      } catch (err) {
        if (err instanceof RolesError) throw new InvalidArgumentError(err.message)
        // Postgres refusing the owner (not allowed to alter a superuser, to grant a role): user error, said plainly.
        if ((err as { code?: string }).code === '42501') throw new InvalidArgumentError(`Postgres refused: ${(err as Error).message}`)
        throw err
      } finally {
        await db.close()
      }
    })
}
