import type { Executor } from '../db/database'

export interface AuditEntry {
  app: string
  actorId?: string | null
  actorRole?: string | null
  action: string
  subjectType?: string
  subjectId?: string
  data?: Record<string, unknown>
  requestId?: string
}

export interface Audit {
  record(db: Executor, entry: AuditEntry): Promise<void>
}
