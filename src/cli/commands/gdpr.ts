// `matchbase gdpr export|erase --user ID`: one user's data as JSON, or erased with a receipt in
// the audit log (docs/operations.md, "GDPR: export and erasure").
import fs from 'node:fs'
import type { Command } from 'commander'
import { eraseUser, exportUser, GdprError } from '../../platform/ops/gdpr/gdpr'
import { asUserError, withPlatform } from './with-platform'

export function registerGdpr(program: Command) {
  const gdpr = program.command('gdpr').description("a user's data: export it, or erase it")
  gdpr
    .command('export')
    .description('every row that refers to the user, and their files (base64), as JSON')
    .requiredOption('--user <id>', 'the user id (uuid)')
    .option('--app <name>', 'the app the user belongs to (when the id could be in several)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action((opts: { user: string; app?: string; out?: string }) =>
      withPlatform(async (platform, _c, apps) => {
        const data = await asUserError(exportUser(platform, apps, opts.user, opts.app), GdprError)
        const json = `${JSON.stringify(data, null, 2)}\n`
        if (opts.out) {
          fs.writeFileSync(opts.out, json)
          console.error(`Wrote ${Object.keys(data.tables).length} tables and ${data.files.length} files to ${opts.out}`)
        } else process.stdout.write(json)
      }),
    )
  gdpr
    .command('erase')
    .description('delete the user, anonymize what must be kept (payments), delete their files; receipt to the audit log')
    .requiredOption('--user <id>', 'the user id (uuid)')
    .option('--app <name>', 'the app the user belongs to (when the id could be in several)')
    .option('--dry-run', 'print what would be erased; change nothing')
    .action((opts: { user: string; app?: string; dryRun?: boolean }) =>
      withPlatform(async (platform, _c, apps) => {
        const receipt = await asUserError(eraseUser(platform, apps, opts.user, { app: opts.app, dryRun: opts.dryRun }), GdprError)
        for (const s of receipt.steps)
          console.log(
            `${s.table.padEnd(44)} ${(opts.dryRun ? `would ${s.action}` : s.action).padEnd(15)} ${String(s.rows).padStart(6)}  (${s.via})`,
          )
        console.log(
          `files: ${receipt.files}${opts.dryRun ? ' would be deleted. Dry run: nothing was changed.' : ' deleted. Receipt written to the audit log.'}`,
        )
      }),
    )
}
