// The platform's public surface: apps import from here and nowhere else in src/platform (a lint
// rule in biome.json enforces it), so what the platform promises to apps is this one list and
// everything behind it may change freely.

// Composition: the manifest, the shared capabilities, config-free building blocks.
export * from './app'
export * from './platform'
export * from './clock'

// Data: the database, row-level security, generated table types.
export * from './db/database'
export * from './db/with-user'
export * from './db/rows'
export * from './db/schema.generated'

// HTTP: the app's route context, errors, shared schemas, OpenAPI helpers, event streams.
export * from './http/app-context'
export * from './http/errors'
export * from './http/schemas'
export * from './http/server'
export * from './http/openapi'
export * from './http/user-limits'
export * from './notify/sse'
// Sign-ins and account deletions, recorded in platform.user_activity with the request's access log row.
export { recordActivity } from './ops/logs/access-log'

// Identity: email codes, sessions, tokens, mail.
export * from './auth/otp'
export * from './auth/otp-jobs'
export * from './auth/otp-routes'
export * from './auth/session-routes'
export * from './auth/sessions'
export * from './auth/refresh-tokens'
export * from './auth/jwt'
export * from './auth/revocations'
export * from './auth/mailer'
export * from './auth/totp'
export * from './auth/totp-routes'

// Money: payments and the purchase flow.
export * from './ledger/payments'
export * from './ledger/purchases'
export * from './ledger/purchase-schemas'
export * from './ledger/webhook-route'

// Matching, messaging, notifications, files, jobs, AI.
export * from './match/engine'
export * from './match/similarity'
export * from './match/geo'
export * from './match/geo-moves'
export * from './match/vector-codec'
export * from './messaging/messaging'
export * from './messaging/cursor'
export * from './messaging/media-types'
export * from './messaging/types'
export * from './notify/notifier'
export * from './storage/storage'
export * from './storage/quota'
export * from './jobs/types'
export * from './jobs/scheduler'
export * from './migrate/backfill'
export * from './ops/retention/types'
export * from './ai/local'
