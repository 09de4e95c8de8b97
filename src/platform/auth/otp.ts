// Email one-time codes for any app whose schema holds an auth_tokens table shaped like
// OneDesigner's (email, code, type, purpose, expires_at, attempts, verified, verified_at,
// created_at, metadata). Codes are stored only as an HMAC; the budget of wrong guesses belongs to
// the email, so asking for a fresh code never buys more guesses.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { Executor, Tx } from '../db/database'
import type { DB } from '../db/schema.generated'
import { AppError } from '../http/errors'
import type { Mail } from './types'

type AuthTokensTable = Extract<keyof DB, `${string}.authTokens`>

export const OTP_TTL_SECONDS = 600
export const OTP_MAX_WRONG_ATTEMPTS = 5
/** Wrong guesses on codes issued within this window count against the email. */
export const OTP_ATTEMPT_WINDOW_SECONDS = 3600

export type OtpPurpose = 'login' | 'signup' | 'reset' | 'verify'

export interface OtpMailContext {
  app: string
  title: string
  code: string
  type: string
  purpose: OtpPurpose
  ttlMinutes: number
}

export interface OtpServiceOptions {
  app: string
  /** Postgres schema holding auth_tokens; the app's own (named after it) unless given. */
  schema?: string
  /** The product's name as mail shows it, e.g. 'OneDesigner'; the app's name unless given. */
  title?: string
  ttlSeconds?: number
  maxWrongAttempts?: number
  attemptWindowSeconds?: number
  compose?: (c: OtpMailContext) => Omit<Mail, 'to'>
}

export interface IssueRequest {
  email: string
  type: string
  purpose: OtpPurpose
  /** Caller's address, for the per-IP limit. */
  ip: string
  /**
   * false: do all the same work but send no mail (e.g. an admin code for an address that is not
   * an admin). The caller's answer must not differ either way.
   */
  deliver?: boolean
}

export interface VerifyRequest {
  email: string
  type: string
  code: string
}

export interface VerifiedCode {
  tokenId: string
  email: string
  type: string
  purpose: OtpPurpose
}

export interface OtpService {
  readonly ttlSeconds: number
  issue(req: IssueRequest): Promise<{ expiresInSeconds: number }>
  /**
   * Checks the code and, when right, runs onVerified in the same transaction that consumes it
   * (so a failure there leaves the code unused). Wrong guesses are committed before the error.
   */
  verify<T>(req: VerifyRequest, onVerified: (tx: Tx, v: VerifiedCode) => Promise<T>): Promise<T>
  /** Waits for mail still being sent (shutdown, tests). */
  drain(): Promise<void>
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase()

const defaultCompose = (c: OtpMailContext) => ({
  subject: `Your ${c.title} code: ${c.code}`,
  text:
    `Your ${c.title} sign-in code is ${c.code}.\n\n` +
    `It expires in ${c.ttlMinutes} minutes. If you did not ask for it, you can ignore this email.`,
})

type Outcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'none' }
  | { kind: 'wrong'; remaining: number }
  | { kind: 'locked'; retryAfterSeconds: number }

export function createOtpService(platform: Platform, opts: OtpServiceOptions): OtpService {
  const { app, schema = app, title = app } = opts
  const ttlSeconds = opts.ttlSeconds ?? OTP_TTL_SECONDS
  const maxWrong = opts.maxWrongAttempts ?? OTP_MAX_WRONG_ATTEMPTS
  const windowSeconds = opts.attemptWindowSeconds ?? OTP_ATTEMPT_WINDOW_SECONDS
  const compose = opts.compose ?? defaultCompose
  // Known only at run time; typed as any app's copy, so queries use the columns they all have.
  const table = `${schema}.authTokens` as AuthTokensTable
  const db = platform.db.kysely
  const pepper = platform.config.OTP_PEPPER
  const perEmail = platform.limiter({ name: `otp-email:${app}`, points: platform.config.OTP_RATE_PER_EMAIL, durationSeconds: 3600 })
  const perIp = platform.limiter({ name: `otp-ip:${app}`, points: platform.config.OTP_RATE_PER_IP, durationSeconds: 3600 })
  const pending = new Set<Promise<void>>()

  const digest = (email: string, code: string) => createHmac('sha256', pepper).update(`${app}\n${email}\n${code}`).digest()

  function matches(stored: string, email: string, code: string): boolean {
    const expected = digest(email, code)
    const actual = Buffer.from(stored, 'hex')
    return actual.length === expected.length && timingSafeEqual(actual, expected)
  }

  async function limit(limiter: typeof perEmail, key: string, what: string) {
    const { allowed, retryAfterSeconds } = await limiter.hit(key)
    if (!allowed)
      throw new AppError('rate_limited', `Too many codes requested for ${what}; try again in ${retryAfterSeconds} seconds`, {
        retryAfterSeconds,
      })
  }

  /**
   * Wrong guesses spent by this email: on codes issued within the window and not yet settled by
   * a successful verification. When the budget is spent, also when it comes back.
   */
  async function budget(tx: Executor, email: string, now: Date) {
    const rows = await tx
      .selectFrom(table)
      .select(['attempts', 'createdAt'])
      .where('email', '=', email)
      .where('attempts', '>', 0)
      .where('createdAt', '>', new Date(now.getTime() - windowSeconds * 1000))
      .where(sql<boolean>`metadata ->> 'settledAt' is null`)
      .orderBy('createdAt', 'desc')
      .execute()
    let spent = 0
    let freedAt: Date | undefined
    for (const r of rows) {
      spent += r.attempts
      // Newest first: the lock lifts once the code that completes the budget leaves the window.
      if (spent >= maxWrong && !freedAt) freedAt = new Date(new Date(r.createdAt).getTime() + windowSeconds * 1000)
    }
    const retryAfterSeconds = freedAt ? Math.max(1, Math.ceil((freedAt.getTime() - now.getTime()) / 1000)) : 0
    return { spent, retryAfterSeconds }
  }

  function send(mail: Mail) {
    // Not awaited, and not even started until the answer has left: the mailer's own work (building
    // the message, or the dev mailbox insert, which on PGlite runs on this thread) would otherwise
    // make the answer slower for an address that gets mail than for one that does not.
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => platform.mailer.send(mail))
      .catch((err: Error) => platform.log.warn({ app, mailer: platform.mailer.kind, reason: err?.message }, 'otp mail not sent'))
      .finally(() => pending.delete(p))
    pending.add(p)
  }

  const locked = (retryAfterSeconds: number) =>
    new AppError('locked', `Too many wrong codes for this email; verification is locked for ${Math.ceil(retryAfterSeconds / 60)} minutes`, {
      retryAfterSeconds,
    })

  return {
    ttlSeconds,

    async issue(req) {
      const email = normalizeEmail(req.email)
      await limit(perIp, req.ip, 'this address')
      await limit(perEmail, `${email}`, 'this email')
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
      const now = platform.clock.now()
      await db.transaction().execute(async (tx) => {
        // Only the newest code of an email and type is good.
        await tx
          .updateTable(table)
          .set({ metadata: sql`metadata || jsonb_build_object('supersededAt', ${now.toISOString()}::text)` })
          .where('email', '=', email)
          .where('type', '=', req.type)
          .where('verified', '=', false)
          .where(sql<boolean>`metadata ->> 'supersededAt' is null`)
          .execute()
        await tx
          .insertInto(table)
          .values({
            email,
            code: digest(email, code).toString('hex'),
            type: req.type,
            purpose: req.purpose,
            expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
            createdAt: now,
          })
          .execute()
      })
      if (req.deliver !== false)
        send({ to: email, ...compose({ app, title, code, type: req.type, purpose: req.purpose, ttlMinutes: Math.round(ttlSeconds / 60) }) })
      platform.log.info({ app, type: req.type, purpose: req.purpose }, 'otp issued')
      return { expiresInSeconds: ttlSeconds }
    },

    async verify(req, onVerified) {
      const email = normalizeEmail(req.email)
      const now = platform.clock.now()
      const outcome = await db.transaction().execute(async (tx): Promise<Outcome<Awaited<ReturnType<typeof onVerified>>>> => {
        // One verification per email at a time, so parallel guesses cannot overspend the budget.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`otp:${app}:${email}`}, 0))`.execute(tx)
        const before = await budget(tx, email, now)
        if (before.spent >= maxWrong) return { kind: 'locked', retryAfterSeconds: before.retryAfterSeconds }
        const token = await tx
          .selectFrom(table)
          .select(['id', 'code', 'purpose'])
          .$narrowType<{ purpose: OtpPurpose }>()
          .where('email', '=', email)
          .where('type', '=', req.type)
          .where('verified', '=', false)
          .where(sql<boolean>`metadata ->> 'supersededAt' is null`)
          .where('createdAt', '>', new Date(now.getTime() - ttlSeconds * 1000))
          .where('expiresAt', '>', now)
          .where('attempts', '<', maxWrong)
          .orderBy('createdAt', 'desc')
          .limit(1)
          .executeTakeFirst()
        if (!token) return { kind: 'none' }
        if (!matches(token.code, email, req.code)) {
          // expires_at is pushed to the end of the window so the cleanup of expired codes
          // cannot erase the wrong guesses that count against this email.
          await tx
            .updateTable(table)
            .set({
              attempts: sql`attempts + 1`,
              expiresAt: sql`greatest(expires_at, created_at + ${windowSeconds}::int * interval '1 second')`,
            })
            .where('id', '=', token.id)
            .execute()
          const after = await budget(tx, email, now)
          if (after.spent >= maxWrong) return { kind: 'locked', retryAfterSeconds: after.retryAfterSeconds }
          return { kind: 'wrong', remaining: maxWrong - after.spent }
        }
        await tx.updateTable(table).set({ verified: true, verifiedAt: now }).where('id', '=', token.id).execute()
        // The owner of the email has proved it: earlier wrong guesses no longer count.
        await tx
          .updateTable(table)
          .set({ metadata: sql`metadata || jsonb_build_object('settledAt', ${now.toISOString()}::text)` })
          .where('email', '=', email)
          .where('attempts', '>', 0)
          .where(sql<boolean>`metadata ->> 'settledAt' is null`)
          .execute()
        const value = await onVerified(tx, { tokenId: token.id, email, type: req.type, purpose: token.purpose })
        return { kind: 'ok', value }
      })
      switch (outcome.kind) {
        case 'ok':
          return outcome.value
        case 'locked':
          throw locked(outcome.retryAfterSeconds)
        case 'none':
          throw new AppError('invalid_code', 'No valid code for this email: it expired, was used or was replaced. Ask for a new one.')
        case 'wrong':
          throw new AppError('invalid_code', `Wrong code; ${outcome.remaining} attempts left`, {
            attemptsLeft: outcome.remaining,
          })
      }
    },

    async drain() {
      await Promise.allSettled([...pending])
    },
  }
}
