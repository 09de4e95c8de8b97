// What the migrator does besides running SQL: every migration applied or reverted is a schema
// change, written to the append-only audit log in the migration's own transaction; and after
// `migrate up` the runtime roles get their grants and policies on whatever tables now exist
// (platform.grant_runtime_access, platform migration 0006).
import os from 'node:os'
import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database'

export interface SchemaChange {
  app: string
  version: string
  name: string
  checksum: string
}

/** Audits one migration, when the audit log exists (it does not before platform/0001, nor after reverting it). */
export async function auditSchemaChange(tx: Tx, m: SchemaChange, direction: 'up' | 'down'): Promise<void> {
  const data = JSON.stringify({ version: m.version, name: m.name, checksum: m.checksum, osUser: osUser(), host: os.hostname() })
  const { rows } = await sql<{ exists: boolean }>`select to_regclass('platform.audit_log') is not null as exists`.execute(tx)
  if (!rows[0]?.exists) return
  await sql`
    insert into platform.audit_log (app, actor_id, actor_role, action, subject_type, subject_id, data)
    values (${m.app}, null, current_user, ${`schema.migrate.${direction}`}, 'migration', ${`${m.app}/${m.version}_${m.name}`}, ${data}::jsonb)`.execute(
    tx,
  )
}

/** Grants and system/reporting policies on every table of the owner's schemas; a no-op before migration 0006. */
export async function grantRuntimeAccess(db: Db | Tx): Promise<number> {
  const { rows } = await sql<{ exists: boolean }>`select to_regprocedure('platform.grant_runtime_access()') is not null as exists`.execute(
    db,
  )
  if (!rows[0]?.exists) return 0
  const { rows: done } = await sql<{ n: number }>`select platform.grant_runtime_access() as n`.execute(db)
  return done[0]?.n ?? 0
}

function osUser(): string | null {
  try {
    return os.userInfo().username
  } catch {
    return null
  }
}
