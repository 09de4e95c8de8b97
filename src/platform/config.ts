// The one place that reads process.env. Everything else receives a Config.
import { isIP } from 'node:net'
import { z } from 'zod'
import { keyringHolds, parseKeyring } from './crypto/keyring'

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef'
// sha256('matchbase development field-encryption key'): public, so refused in production.
const DEV_ENCRYPTION_KEY = Buffer.from('Cg6m538XkKnkbThl4wt/ftIkYb5ZUdY6lz0hrDSnf3Q=', 'base64')
const DEV_ENCRYPTION_KEYS = `dev:${DEV_ENCRYPTION_KEY.toString('base64')}`
const DEV_OTP_PEPPER = 'dev-only-otp-pepper'

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional()
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional()
function isIpOrCidr(s: string): boolean {
  if (s === 'loopback' || s === 'linklocal' || s === 'uniquelocal') return true
  const [address, bits, ...rest] = s.split('/')
  const family = isIP(address ?? '')
  if (!family || rest.length) return false
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1')

export const configSchema = z.object({
  /**
   * development | test | production. Unset: development only for the embedded database on a
   * loopback address (the quick start); anything else (a server database, a public bind) is
   * production, so a server never runs on development secrets by accident.
   */
  NODE_ENV: z.enum(['development', 'test', 'production']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address to listen on; default 127.0.0.1 in development, 0.0.0.0 in production. */
  HOST: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public base URL, used in printed links and emails. */
  PUBLIC_URL: optionalUrl,
  /** Comma-separated app names to serve; empty means all registered apps. */
  APPS: z.string().default(''),

  /** Postgres server. When unset, embedded PGlite stores its data in DATA_DIR. */
  DATABASE_URL: optionalUrl,
  /** Optional read replica for lag-tolerant reads. */
  DATABASE_READ_URL: optionalUrl,
  /** A direct server connection (not through PgBouncer) for LISTEN; defaults to DATABASE_URL. */
  DATABASE_DIRECT_URL: optionalUrl,
  /**
   * The owner role (owns the schemas): migrations and the job scheduler's own tables (pg-boss)
   * connect with it; DATABASE_URL is then the API role, which owns nothing and cannot bypass
   * row-level security (`matchbase roles setup`). Unset: DATABASE_URL does both.
   */
  DATABASE_OWNER_URL: optionalUrl,
  /** Passwords `matchbase roles setup` gives the API and reporting login roles (never printed). */
  DATABASE_API_PASSWORD: optionalString,
  DATABASE_REPORTING_PASSWORD: optionalString,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  /** Milliseconds a single statement may run before Postgres cancels it. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  DATA_DIR: z.string().default('.data'),

  JWT_SECRET: z.string().min(32).default(DEV_JWT_SECRET),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
  REFRESH_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  /**
   * Seconds a just-rotated refresh token may be presented again and still get a session (two tabs
   * refreshing at once); later it counts as reuse and ends the session. 0 turns the grace off.
   */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** Seconds between reloads of the session revocation list, the safety net for a missed broadcast. */
  SESSION_REVOCATION_RELOAD_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  /** Event streams one user may hold open at once (per app and API instance); the next gets 429. */
  EVENT_STREAMS_PER_USER: z.coerce.number().int().min(1).max(100).default(5),
  OTP_PEPPER: z.string().min(8).default(DEV_OTP_PEPPER),
  /** Seconds an admin token from a second-factor step-up lives (admin routes need one). */
  ADMIN_STEP_UP_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  /** Wrong second-factor codes one admin may try per 15 minutes (then 429), and one address. */
  TOTP_FAILURES_PER_USER: z.coerce.number().int().min(1).default(5),
  TOTP_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
  /** OTP codes issued per email per hour, and per IP per hour. */
  OTP_RATE_PER_EMAIL: z.coerce.number().int().min(1).default(5),
  OTP_RATE_PER_IP: z.coerce.number().int().min(1).default(30),
  /** Wrong codes one address may try per 10 minutes, across all emails (then 429). */
  OTP_VERIFY_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
  /**
   * Milliseconds a whole request (headers and body) may take to arrive; past it the server answers
   * 408 and closes the connection, so a body trickled a byte at a time cannot hold it for minutes.
   * Uploads must arrive within it too (a 200 MB video in 60 s needs about 27 Mbit/s).
   */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(500).default(60_000),
  /** Milliseconds the request line and headers may take to arrive (at most REQUEST_TIMEOUT_MS). */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(500).default(10_000),
  /**
   * Scales every per-user route limit (e.g. 2 doubles them); 0 turns them off, for benchmarks that
   * drive a few users hard. The limits themselves are declared on the routes.
   */
  USER_RATE_LIMIT_FACTOR: z.coerce.number().min(0).default(1),
  /** Bytes of files one user may keep in an app (samples, message files); 0 = no quota. */
  STORAGE_QUOTA_BYTES_PER_USER: z.coerce
    .number()
    .int()
    .min(0)
    .default(500 * 1024 * 1024),
  /** Field-encryption keys, `id:base64-of-32-bytes`, comma-separated, newest first: the first encrypts, all decrypt. */
  ENCRYPTION_KEYS: z
    .string()
    .default(DEV_ENCRYPTION_KEYS)
    .superRefine((v, ctx) => {
      try {
        parseKeyring(v)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
      }
    }),

  /** SMTP server for mail; when unset mail goes to the dev mailbox (table platform.dev_mailbox). */
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().default('Matchbase <no-reply@matchbase.local>'),

  /** OpenAI-compatible endpoint; when unset the local deterministic provider is used. */
  AI_PROVIDER: z.enum(['local', 'openai']).optional(),
  AI_BASE_URL: optionalUrl,
  AI_API_KEY: optionalString,
  AI_EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  AI_TEXT_MODEL: z.string().default('gpt-4o-mini'),
  AI_EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(4096).default(256),
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),

  /** Payment provider; default: stripe when STRIPE_SECRET_KEY is set, else the local test provider. */
  PAYMENTS_PROVIDER: z.enum(['local', 'stripe']).optional(),
  STRIPE_SECRET_KEY: optionalString,
  /** Verifies Stripe webhooks; the local provider signs and verifies its own with it too when set. */
  STRIPE_WEBHOOK_SECRET: optionalString,
  /** Stripe API base URL (a stub server in tests); the SDK's default when unset. */
  STRIPE_API_BASE: optionalUrl,

  /** File storage folder (disk backend); default ${DATA_DIR}/files. */
  STORAGE_DIR: optionalString,
  /** S3-compatible bucket; when set, files go there instead of to disk. */
  STORAGE_S3_BUCKET: optionalString,
  STORAGE_S3_REGION: z.string().default('us-east-1'),
  /** S3-compatible endpoint (MinIO, R2, a stub in tests); AWS when unset. */
  STORAGE_S3_ENDPOINT: optionalUrl,
  /** Static credentials, both or neither; neither = the AWS SDK's default chain (env, profile, role). */
  STORAGE_S3_ACCESS_KEY_ID: optionalString,
  STORAGE_S3_SECRET_ACCESS_KEY: optionalString,
  /** Bucket in the path instead of the host name; default: on when STORAGE_S3_ENDPOINT is set. */
  STORAGE_S3_FORCE_PATH_STYLE: bool.optional(),

  /** JWKS of an external identity provider (Clerk, Auth0...); unset = external sign-in off. */
  IDP_JWKS_URL: optionalUrl,
  /** Required with IDP_JWKS_URL: the exact `iss` of the provider's tokens. */
  IDP_ISSUER: optionalString,
  /** Expected `aud`, comma-separated for several; unset = not checked (Clerk session tokens have none). */
  IDP_AUDIENCE: optionalString,
  /** Accepted signature algorithms, comma-separated; asymmetric only. */
  IDP_ALGORITHMS: z.string().default('RS256,ES256'),

  REDIS_URL: optionalUrl,
  /** Prefix for every Redis key, so several deployments (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().default(''),
  /** Run the job scheduler and workers inside `serve`. */
  JOBS_ENABLED: bool.default(true),
  /** Load demo data on first start (embedded mode default). */
  SEED_DEMO: bool.optional(),
  /**
   * Which proxies to believe about the client's address (X-Forwarded-For), for the per-address
   * limits: unset or false = none (the socket's address is the client), true = any (only when
   * nothing can reach the server except through the proxy), or a comma-separated list of the
   * proxies' addresses / CIDR ranges (or loopback, linklocal, uniquelocal). A hop count is refused:
   * it cannot tell a proxy from a client who sends a forged header.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('')
    .transform((v, ctx): boolean | string[] => {
      if (v === '' || v === 'false') return false
      if (v === 'true') return true
      const list = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      const bad = list.filter((s) => !isIpOrCidr(s))
      if (bad.length) ctx.addIssue({ code: 'custom', message: `not an address or CIDR range: ${bad.join(', ')}` })
      return list
    }),
  /** Browser origins allowed to call the API (CORS), comma-separated; development also allows localhost. */
  CORS_ORIGINS: z.string().default(''),
  /** Bearer token for /metrics; unset: /metrics is open in development and not served in production. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Times a day a user may move their own point (Bandsy location): limits probing distances to locate someone. */
  LOCATION_CHANGES_PER_DAY: z.coerce.number().int().min(1).default(5),
  /**
   * pgBackRest stanza of the server cluster; when set, `matchbase backup | restore | verify-backup`
   * drive pgBackRest (docs/operations.md). Unset: a server is backed up with `backup --logical`.
   */
  PGBACKREST_STANZA: optionalString,
  /** pgbackrest.conf; pgBackRest's default (/etc/pgbackrest/pgbackrest.conf) when unset. */
  PGBACKREST_CONFIG: optionalString,
  /** Folder holding pg_dump and pg_restore (e.g. /usr/lib/postgresql/16/bin); PATH when unset. */
  PG_BIN_DIR: optionalString,
  /** Exposes /v1/dev/* (mailbox reading). Never on in production. */
  DEV_ENDPOINTS: bool.optional(),
  /** One platform.access_log row per API request (method, route pattern, status, time, user), written in batches. */
  ACCESS_LOG: z.enum(['on', 'off']).default('on'),
  /** Milliseconds between batch writes of the access log and user activity (also written on close). */
  ACCESS_LOG_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Log entries held in memory at most; past it new entries are dropped (and counted) until the next write. */
  ACCESS_LOG_BUFFER_MAX: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
})

export type RawConfig = z.infer<typeof configSchema>
export type Mode = 'development' | 'test' | 'production'

export interface Config extends Omit<RawConfig, 'NODE_ENV' | 'HOST'> {
  NODE_ENV: Mode
  HOST: string
  /** What decided the mode, for the startup line. */
  modeReason: string
  isProduction: boolean
  embedded: boolean
  devEndpoints: boolean
  seedDemo: boolean
  aiProvider: 'local' | 'openai'
  apps: string[]
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const raw = parsed.data
  const { mode, reason } = resolveMode(raw)
  const isProduction = mode === 'production'
  const config: Config = {
    ...raw,
    NODE_ENV: mode,
    HOST: raw.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    modeReason: reason,
    isProduction,
    DATABASE_DIRECT_URL: raw.DATABASE_DIRECT_URL ?? raw.DATABASE_URL,
    embedded: !raw.DATABASE_URL,
    devEndpoints: raw.DEV_ENDPOINTS ?? !isProduction,
    seedDemo: raw.SEED_DEMO ?? !raw.DATABASE_URL,
    aiProvider: raw.AI_PROVIDER ?? (raw.AI_BASE_URL ? 'openai' : 'local'),
    apps: raw.APPS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  }
  return config
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

function resolveMode(raw: RawConfig): { mode: Mode; reason: string } {
  if (raw.NODE_ENV) return { mode: raw.NODE_ENV, reason: `NODE_ENV=${raw.NODE_ENV}` }
  if (raw.DATABASE_URL) return { mode: 'production', reason: 'NODE_ENV unset and a Postgres server configured' }
  if (raw.HOST && !LOOPBACK.has(raw.HOST))
    return { mode: 'production', reason: `NODE_ENV unset and HOST=${raw.HOST} is not a loopback address` }
  return { mode: 'development', reason: 'NODE_ENV unset, embedded database on a loopback address' }
}

/**
 * What a server must have before it answers anyone in production: no public development secret,
 * no dev mailbox (OTP codes would sit in a table nobody reads), no unauthenticated payment
 * webhooks. Checked by `serve`; commands that issue nothing (migrate, seed) do not need secrets.
 */
export function assertReadyToServe(config: Config) {
  if (!config.isProduction) return
  const problems: string[] = []
  if (config.JWT_SECRET === DEV_JWT_SECRET) problems.push('JWT_SECRET is the development secret (anyone could sign tokens): set your own')
  if (config.OTP_PEPPER === DEV_OTP_PEPPER) problems.push('OTP_PEPPER is the development pepper: set your own')
  if (keyringHolds(parseKeyring(config.ENCRYPTION_KEYS), DEV_ENCRYPTION_KEY)) problems.push('ENCRYPTION_KEYS contains the development key')
  if (config.DEV_ENDPOINTS) problems.push('DEV_ENDPOINTS must be off in production (it serves every sign-in code)')
  if (!config.SMTP_URL) problems.push('SMTP_URL is unset: sign-in codes would go to the dev mailbox, read by nobody')
  if (config.PAYMENTS_PROVIDER === 'local' && !config.STRIPE_WEBHOOK_SECRET)
    problems.push('PAYMENTS_PROVIDER=local needs STRIPE_WEBHOOK_SECRET: the built-in webhook secret is public')
  if (problems.length)
    throw new ConfigError(
      `Refusing to serve in production (${config.modeReason}):\n  ${problems.join('\n  ')}\n` +
        'For a development server, set NODE_ENV=development.',
    )
}

/** Config for tests: embedded defaults, quiet logs, overridable. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  // Log batches are written on close (or by an explicit flush) only: a timer firing in the middle
  // of a test that counts a request's statements would be counted with them.
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    ACCESS_LOG_FLUSH_MS: '60000',
    ...overrides,
  })
}
