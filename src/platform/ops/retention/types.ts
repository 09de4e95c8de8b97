// Retention policies: what an app (or the platform) keeps, for how long, and what happens after.
// An app declares them in its manifest (AppModule.retention); the platform runs each as a
// scheduled job and through `matchbase retention run`.

export type RetentionAction = 'archive' | 'anonymize' | 'delete'

export interface RetentionPolicy {
  /** kebab-case, unique within its app; the job is `<app>-retention-<name>`. */
  name: string
  description: string
  /** A table of the app's schema (or `schema.table` for the platform's own). */
  table: string
  /** The timestamp column whose age decides: rows older than `age` are touched. */
  ageColumn: string
  /** A Postgres interval: '30 days', '6 months', '7 years'. */
  age: string
  /** Extra SQL condition on the live row (referred to as the table name), e.g. `unlocked_at is null`. */
  condition?: string
  /**
   * archive: move to <schema>_archive.<table>; rows still referenced by another row stay.
   * anonymize: apply `set` (rows the condition still selects afterwards are not touched twice).
   * delete: remove; ON DELETE CASCADE children go with them, rows referenced by a restricting key stay.
   */
  action: RetentionAction
  /** For anonymize: column -> SQL expression, e.g. { email: 'null', display_name: `'Deleted user'` }. */
  set?: Record<string, string>
  /**
   * Archive only: tables of the same schema holding rows derived from this one (embeddings,
   * caches) that ON DELETE CASCADE may remove with it; they are recomputed, not archived. Rows
   * referenced from any other table stay live.
   */
  dropsWith?: string[]
  /**
   * The table holds records the law makes us keep (payments: 7 years). A GDPR erasure anonymizes
   * the user's rows here instead of deleting them, and keeps the user's row, anonymized, for them.
   */
  keepOnErasure?: boolean
  /** Cron (UTC) for the policy's job; default daily at 04:00. */
  cron?: string
}

/** A policy with the app that declared it and its table resolved to schema and name. */
export interface ResolvedPolicy extends RetentionPolicy {
  app: string
  /** `<app>-<name>`: what `--policy` and the job name use. */
  id: string
  schema: string
  tableName: string
}
