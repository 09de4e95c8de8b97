// Email one-time codes for any app whose schema holds an auth_tokens table shaped like
// OneDesigner's (email, code, type, purpose, expires_at, attempts, verified, verified_at,
// created_at, metadata). Codes are stored only as an HMAC. Wrong guesses are spent from three
// budgets, the guessing address's first (docs/decisions/0020-abuse-limits.md): the address's
// across all emails (a limiter), the address's on this email, and the email's across addresses,
// whose lock is a fixed window that guesses made during it cannot extend. Asking for a fresh code
// never buys more guesses.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { Executor, Tx } from '../db/database'
import type { DB } from '../db/schema.generated'
import { AppError } from '../http/errors'
import type { Mail } from './types'

type AuthTokensTable = Extract<keyof DB, `${string}.authTokens`>

export const OTP_TTL_SECONDS = 600
/** Wrong guesses one address may spend on one email within the window. */
export const OTP_MAX_WRONG_ATTEMPTS = 5
/** Wrong guesses all addresses together may spend on one email before it locks for a window. */
export const OTP_MAX_WRONG_PER_EMAIL = 20
/** Wrong guesses on codes issued within this window count; also the length of an email's lock. */
export const OTP_ATTEMPT_WINDOW_SECONDS = 3600
/** The window of the per-address budget of wrong guesses across emails (OTP_VERIFY_FAILURES_PER_IP). */
export const OTP_ADDRESS_WINDOW_SECONDS = 600

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
  /** Per address and email. */
  maxWrongAttempts?: number
  /** Per email, all addresses together. */
  maxWrongPerEmail?: number
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
  /** Caller's address: its wrong guesses are spent from its own budgets first. */
  ip: string
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
  /** justLocked: this wrong guess spent the last of a budget (it still counts against the address). */
  | { kind: 'locked'; retryAfterSeconds: number; scope: 'address' | 'email'; justLocked?: boolean }

export function createOtpService(platform: Platform, opts: OtpServiceOptions): OtpService {
  const { app, schema = app, title = app } = opts
  const ttlSeconds = opts.ttlSeconds ?? OTP_TTL_SECONDS
  const maxWrong = opts.maxWrongAttempts ?? OTP_MAX_WRONG_ATTEMPTS
  const maxWrongPerEmail = opts.maxWrongPerEmail ?? OTP_MAX_WRONG_PER_EMAIL
  const windowSeconds = opts.attemptWindowSeconds ?? OTP_ATTEMPT_WINDOW_SECONDS
  const compose = opts.compose ?? defaultCompose
  // Known only at run time; typed as any app's copy, so queries use the columns they all have.
  const table = `${schema}.authTokens` as AuthTokensTable
  const db = platform.db.kysely
  const pepper = platform.config.OTP_PEPPER
  const perEmail = platform.limiter({ name: `otp-email:${app}`, points: platform.config.OTP_RATE_PER_EMAIL, durationSeconds: 3600 })
  const perIp = platform.limiter({ name: `otp-ip:${app}`, points: platform.config.OTP_RATE_PER_IP, durationSeconds: 3600 })
  const perAddress = platform.limiter({
    name: `otp-verify-ip:${app}`,
    points: platform.config.OTP_VERIFY_FAILURES_PER_IP,
    durationSeconds: OTP_ADDRESS_WINDOW_SECONDS,
  })
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
   * Wrong guesses on this email's codes within the window that no successful verification has
   * settled: by this address, and by everyone but not yet consumed by a lock of the email. Also
   * when each lock lifts. Newest first: the address's lock lifts once the code that completes its
   * budget leaves the window; the email's lock is a fixed window from the guess that started it.
   */
  async function budget(tx: Executor, email: string, ip: string, now: Date) {
    const since = now.getTime() - windowSeconds * 1000
    const rows = await tx
      .selectFrom(table)
      .select([
        'attempts',
        'createdAt',
        sql<number>`coalesce((metadata -> 'wrongBy' ->> ${ip})::int, 0)`.as('byAddress'),
        sql<string | null>`metadata ->> 'emailLockedUntil'`.as('lockedUntil'),
      ])
      .where('email', '=', email)
      .where('attempts', '>', 0)
      // Twice the window: a lock started by a code near the window's edge outlives the code's count.
      .where('createdAt', '>', new Date(since - windowSeconds * 1000))
      .where(sql<boolean>`metadata ->> 'settledAt' is null`)
      .orderBy('createdAt', 'desc')
      .execute()
    let emailSpent = 0
    let addressSpent = 0
    let addressFreedAt = 0
    let emailLockedUntil = 0
    for (const r of rows) {
      if (r.lockedUntil) emailLockedUntil = Math.max(emailLockedUntil, Date.parse(r.lockedUntil))
      const created = new Date(r.createdAt).getTime()
      if (created <= since) continue
      if (!r.lockedUntil) emailSpent += r.attempts
      addressSpent += r.byAddress
      if (addressSpent >= maxWrong && !addressFreedAt) addressFreedAt = created + windowSeconds * 1000
    }
    const seconds = (at: number) => Math.max(1, Math.ceil((at - now.getTime()) / 1000))
    const lock: Outcome<never> | undefined =
      emailLockedUntil > now.getTime()
        ? { kind: 'locked', scope: 'email', retryAfterSeconds: seconds(emailLockedUntil) }
        : addressSpent >= maxWrong
          ? { kind: 'locked', scope: 'address', retryAfterSeconds: seconds(addressFreedAt) }
          : undefined
    return { emailSpent, addressSpent, lock }
  }

  /** Locks the email for one fixed window; the guesses that caused it no longer count after it. */
  async function lockEmail(tx: Executor, email: string, now: Date) {
    const until = new Date(now.getTime() + windowSeconds * 1000)
    await tx
      .updateTable(table)
      .set({
        metadata: sql`metadata || jsonb_build_object('emailLockedUntil', ${until.toISOString()}::text)`,
        // Kept by the cleanup of expired codes until the lock is over.
        expiresAt: sql`greatest(expires_at, ${until})`,
      })
      .where('email', '=', email)
      .where('attempts', '>', 0)
      .where('createdAt', '>', new Date(now.getTime() - windowSeconds * 1000))
      .where(sql<boolean>`metadata ->> 'settledAt' is null`)
      .where(sql<boolean>`metadata ->> 'emailLockedUntil' is null`)
      .execute()
    platform.log.warn({ app }, 'otp: an email is locked after too many wrong codes from several addresses')
    return { kind: 'locked' as const, scope: 'email' as const, retryAfterSeconds: windowSeconds, justLocked: true }
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

  const locked = (retryAfterSeconds: number, scope: 'address' | 'email') =>
    new AppError(
      'locked',
      `Too many wrong codes for this email${scope === 'address' ? ' from this address' : ''}; ` +
        `verification is locked for ${Math.ceil(retryAfterSeconds / 60)} minutes`,
      { retryAfterSeconds },
    )

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
      // The address's budget across emails is spent up front (so parallel guesses cannot overspend
      // it) and given back for anything but a wrong guess.
      const address = await perAddress.hit(req.ip)
      if (!address.allowed)
        throw new AppError('rate_limited', `Too many wrong codes from this address; try again in ${address.retryAfterSeconds} seconds`, {
          retryAfterSeconds: address.retryAfterSeconds,
        })
      let outcome: Outcome<Awaited<ReturnType<typeof onVerified>>>
      try {
        outcome = await db.transaction().execute(async (tx): Promise<typeof outcome> => {
          // One verification per email at a time, so parallel guesses cannot overspend the budgets.
          await sql`select pg_advisory_xact_lock(hashtextextended(${`otp:${app}:${email}`}, 0))`.execute(tx)
          const before = await budget(tx, email, req.ip, now)
          if (before.lock) return before.lock
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
            .where('attempts', '<', maxWrongPerEmail)
            .orderBy('createdAt', 'desc')
            .limit(1)
            .executeTakeFirst()
          if (!token) return { kind: 'none' }
          if (!matches(token.code, email, req.code)) {
            // expires_at is pushed to the end of the window so the cleanup of expired codes
            // cannot erase the wrong guesses that count against this email and address.
            await tx
              .updateTable(table)
              .set({
                attempts: sql`attempts + 1`,
                metadata: sql`jsonb_set(metadata, '{wrongBy}', coalesce(metadata -> 'wrongBy', '{}'::jsonb) || jsonb_build_object(${req.ip}::text, coalesce((metadata -> 'wrongBy' ->> ${req.ip})::int, 0) + 1))`,
                expiresAt: sql`greatest(expires_at, created_at + ${windowSeconds}::int * interval '1 second')`,
              })
              .where('id', '=', token.id)
              .execute()
            const after = await budget(tx, email, req.ip, now)
            if (after.emailSpent >= maxWrongPerEmail) return lockEmail(tx, email, now)
            if (after.lock) return { ...after.lock, justLocked: true }
            return { kind: 'wrong', remaining: maxWrong - after.addressSpent }
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
      } catch (err) {
        await perAddress.refund(req.ip)
        throw err
      }
      if (outcome.kind !== 'wrong' && !(outcome.kind === 'locked' && outcome.justLocked)) await perAddress.refund(req.ip)
      switch (outcome.kind) {
        case 'ok':
          return outcome.value
        case 'locked':
          throw locked(outcome.retryAfterSeconds, outcome.scope)
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
