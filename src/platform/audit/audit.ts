// Append-only audit log (platform.audit_log; a trigger refuses UPDATE and DELETE).
import type { Audit, AuditEntry } from './types'
import type { Executor } from '../db/database'

export const audit: Audit = {
  async record(db: Executor, e: AuditEntry) {
    await db
      .insertInto('platform.auditLog')
      .values({
        app: e.app,
        actorId: e.actorId ?? null,
        actorRole: e.actorRole ?? null,
        action: e.action,
        subjectType: e.subjectType ?? null,
        subjectId: e.subjectId ?? null,
        data: JSON.stringify(e.data ?? {}),
        requestId: e.requestId ?? null,
      })
      .execute()
  },
}
