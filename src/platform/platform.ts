// The shared capabilities every app receives, built once from Config.
import { Redis } from 'ioredis'
import pino, { type Logger } from 'pino'
import type { Config } from './config'
import { openDatabase, type Database, type OpenOptions } from './db/database'
import { enableReadRouting } from './db/read-routing'
import { systemClock, type Clock } from './clock'
import { audit } from './audit/audit'
import type { Audit } from './audit/types'
import { ledger } from './ledger/ledger'
import type { Ledger, PaymentProvider } from './ledger/types'
import { createPaymentProvider } from './ledger/payments'
import type { AiProvider } from './ai/types'
import { createAiProvider } from './ai/providers'
import type { Notifier } from './notify/types'
import { createNotifier } from './notify/notifier'
import type { Mailer } from './auth/types'
import { devMailbox, smtpMailer } from './auth/mailer'
import { tokenSigner, type TokenSigner } from './auth/jwt'
import { createRevocations, type SessionRevocations } from './auth/revocations'
import { limiterFactory, type LimiterFactory } from './http/rate-limit'
import { createStorage } from './storage/storage'
import type { Storage } from './storage/types'
import { createExternalIdentity, type ExternalIdentity } from './auth/external-idp'
import { createFieldCrypto, type FieldCrypto } from './crypto/field-encryption'
import { createLogBuffer, type LogBuffer } from './ops/logs/log-buffer'

export interface Platform {
  config: Config
  db: Database
  clock: Clock
  log: Logger
  mailer: Mailer
  ai: AiProvider
  payments: PaymentProvider
  notify: Notifier
  audit: Audit
  ledger: Ledger
  tokens: TokenSigner
  /** Ended sessions and users, held in memory; tokens.verify refuses their access tokens. */
  revocations: SessionRevocations
  limiter: LimiterFactory
  /** Files: local disk by default, S3-compatible when STORAGE_S3_BUCKET is set. */
  storage: Storage
  /** Tokens from an external identity provider (IDP_JWKS_URL); enabled is false when unset. */
  identity: ExternalIdentity
  /** Field encryption under ENCRYPTION_KEYS (AES-256-GCM, key id inside each ciphertext). */
  crypto: FieldCrypto
  redis?: Redis
  /** Access log and user activity rows, buffered in memory and written in batches. */
  logs: LogBuffer
  close(): Promise<void>
}

/** Replaceable parts, for tests and for embedding Matchbase in another program. */
export interface PlatformOverrides {
  db?: Database
  dbOptions?: OpenOptions
  clock?: Clock
  mailer?: Mailer
  ai?: AiProvider
  payments?: PaymentProvider
  storage?: Storage
  identity?: ExternalIdentity
  log?: Logger
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body.code',
  'req.body.refreshToken',
  '*.code',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
]

/** Query parameters that carry credentials (EventSource cannot send headers). */
const SECRET_QUERY_KEYS = new Set(['access_token', 'token', 'code', 'refresh_token'])

/**
 * The URL with the values of credential parameters replaced. Names are compared decoded, as the
 * query parser reads them: `?access%5Ftoken=` is an access token too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 0) return pair
      const rawKey = pair.slice(0, eq)
      let key = rawKey
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '))
      } catch {
        // Not decodable: compared as written.
      }
      return SECRET_QUERY_KEYS.has(key.toLowerCase()) ? `${rawKey}=[redacted]` : pair
    })
  return `${url.slice(0, q + 1)}${pairs.join('&')}`
}

export const logSerializers = {
  req(req: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remoteAddress?: string } }) {
    return {
      method: req.method,
      url: req.url === undefined ? undefined : redactUrl(req.url),
      host: req.host ?? req.hostname,
      remoteAddress: req.ip ?? req.socket?.remoteAddress,
    }
  },
}

export function createLogger(config: Config, destination?: pino.DestinationStream): Logger {
  return pino(
    { level: config.LOG_LEVEL, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: logSerializers },
    destination,
  )
}

export async function createPlatform(config: Config, o: PlatformOverrides = {}): Promise<Platform> {
  const log = o.log ?? createLogger(config)
  const db = o.db ?? (await openDatabase(config, o.dbOptions))
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2, keyPrefix: config.REDIS_KEY_PREFIX })
    : undefined
  redis?.on('error', (err) => log.warn({ err }, 'redis error'))
  enableReadRouting(db, redis)
  const platform: Platform = {
    config,
    db,
    clock: o.clock ?? systemClock,
    log,
    mailer: o.mailer ?? (config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM) : devMailbox(db.kysely)),
    ai: o.ai ?? createAiProvider(config),
    payments: o.payments ?? createPaymentProvider(config),
    notify: undefined as unknown as Notifier,
    audit,
    ledger,
    tokens: tokenSigner(config.JWT_SECRET, config.JWT_TTL_SECONDS, { refuse: (claims) => platform.revocations.refusal(claims) }),
    revocations: undefined as unknown as SessionRevocations,
    limiter: limiterFactory(redis),
    storage: o.storage ?? createStorage(config),
    identity: o.identity ?? createExternalIdentity(config, { clock: o.clock }),
    crypto: createFieldCrypto(config.ENCRYPTION_KEYS),
    redis,
    logs: createLogBuffer(() => db.kysely, config, log),
    async close() {
      await platform.revocations.stop()
      await platform.logs.close()
      await db.close()
      redis?.disconnect()
    },
  }
  platform.notify = createNotifier(platform)
  platform.revocations = createRevocations(platform)
  return platform
}
