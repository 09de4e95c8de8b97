// Shared by the command files: open the platform for one command and close it afterwards, and turn
// the errors a user can cause into a message and exit code 1 instead of a stack trace.
import { InvalidArgumentError } from 'commander'
import { loadConfig, type Config } from '../../platform/config'
import { createPlatform, type Platform } from '../../platform/platform'
import { selectApps } from '../../server'
import type { AppModule } from '../../platform/app'
import { asOwner } from '../../platform/ops/roles/owner-database'

/** owner: connect as the owner role (DATABASE_OWNER_URL), for schema changes. */
export async function withPlatform<T>(fn: (p: Platform, config: Config, apps: AppModule[]) => Promise<T>, owner = false): Promise<T> {
  const config = owner ? asOwner(loadConfig()) : loadConfig()
  const platform = await createPlatform(config)
  try {
    return await fn(platform, config, selectApps(config))
  } finally {
    await platform.close()
  }
}

/** Rethrows errors of these classes as InvalidArgumentError: main.ts prints its message and exits 1. */
export async function asUserError<T>(work: Promise<T>, ...classes: (abstract new (...args: never[]) => Error)[]): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (classes.some((c) => err instanceof c)) throw new InvalidArgumentError((err as Error).message)
    throw err
  }
}
