// An app is a manifest: its schema migrations, HTTP routes, scheduled jobs and demo data.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Platform } from './platform'
import type { JobDefinition } from './jobs/types'
import type { AppContext } from './http/app-context'
import type { RetentionPolicy } from './ops/retention/types'

export type Http = FastifyInstance<any, any, any, any, ZodTypeProvider>

export interface SeedOptions {
  /** Reports progress of long seeding work (the CLI draws a bar). */
  progress?: (done: number, total: number, label: string) => void
  /** Scale of generated data, e.g. number of designers. */
  size?: number
}

export interface AppModule {
  name: string
  /** Folder of this app's SQL migrations (schema named after the app). */
  migrationsDir: string
  /** Registers routes on ctx.http, mounted under /v1/<name>; ctx knows the app (guard, asUser). */
  routes(ctx: AppContext): void | Promise<void>
  jobs?: JobDefinition[]
  /** The app signs in admins (role 'admin'): the platform's admin routes (the archive) are mounted for it. */
  hasAdmins?: boolean
  /** What this app keeps and for how long; each policy runs as a scheduled job (docs/operations.md). */
  retention?: RetentionPolicy[]
  /** Loads demo data; returns lines to print (e.g. how to log in). */
  seed?(platform: Platform, opts?: SeedOptions): Promise<string[]>
  /** True when the app's demo data is already present. */
  isSeeded?(platform: Platform): Promise<boolean>
}

export const defineApp = (app: AppModule): AppModule => app
