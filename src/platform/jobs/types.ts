import type { Platform } from '../platform'

export interface JobContext {
  platform: Platform
  /** The time the job acts as of (the platform clock unless a test passes one). */
  now: Date
}

export interface JobDefinition {
  /** Unique, kebab-case, prefixed by the app: e.g. onedesigner-expire-matches. */
  name: string
  /** Cron expression (UTC) for the schedule; omit for on-demand jobs. */
  cron?: string
  description: string
  /** Does the work; returns a summary such as { expired: 3 }. */
  run(ctx: JobContext): Promise<Record<string, number | string>>
}
