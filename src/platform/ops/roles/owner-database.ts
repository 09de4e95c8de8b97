// The owner's connection (DATABASE_OWNER_URL) for work that needs ownership: migrations and the
// job scheduler's own tables. Without the setting, DATABASE_URL is the owner and is reused.
import type { Config } from '../../config'
import { openDatabase, type Database } from '../../db/database'

/** The settings with the owner's URL as the database to use; the same config when no owner URL is set. */
export function asOwner(config: Config): Config {
  if (!config.DATABASE_OWNER_URL || config.DATABASE_OWNER_URL === config.DATABASE_URL) return config
  return {
    ...config,
    DATABASE_URL: config.DATABASE_OWNER_URL,
    DATABASE_DIRECT_URL: config.DATABASE_OWNER_URL,
    DATABASE_READ_URL: undefined,
    // Migrations and the scheduler need a few connections, not the API's pool.
    DATABASE_POOL_MAX: Math.min(config.DATABASE_POOL_MAX, 4),
  }
}

export interface OwnerDatabase {
  db: Database
  /** Closes the owner's connections (not the platform's, when they are the same). */
  close(): Promise<void>
}

/** The owner's database: a connection of its own when DATABASE_OWNER_URL differs, else `fallback`. */
export async function openOwnerDatabase(config: Config, fallback: Database): Promise<OwnerDatabase> {
  const owner = asOwner(config)
  if (owner === config) return { db: fallback, close: async () => {} }
  const db = await openDatabase(owner)
  return { db, close: () => db.close() }
}
