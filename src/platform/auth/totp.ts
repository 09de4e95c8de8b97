// The admin second factor: TOTP (RFC 6238, otplib) on top of the email OTP session, with one-time
// recovery codes. Enrolment gives an otpauth:// URI (for a QR code); confirming it with a first
// code turns the factor on and returns ten recovery codes, shown once and stored as HMACs. A
// step-up exchanges the admin's session token and a code for a short-lived admin token whose
// `amr` names the second factor; admin routes refuse tokens without it (http/auth-guard.ts).
// A TOTP code is good once (the last accepted time step is kept); wrong codes are limited per
// admin and per address, like sign-in codes. Every outcome is audited.
import { createHmac, randomInt } from 'node:crypto'
import { generateSecret, generateURI, verify } from 'otplib'
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { Claims } from '../db/with-user'
import type { Executor } from '../db/database'
import { AppError, conflict } from '../http/errors'

export const RECOVERY_CODE_COUNT = 10
/** Codes of the step before and after are accepted too: clocks of phones drift. */
const TOLERANCE_SECONDS = 30
const PERIOD_SECONDS = 30
const ISSUER = 'Matchbase'

export interface Enrolment {
  /** Base32 secret, for typing in when a QR code cannot be scanned. */
  secret: string
  /** otpauth://totp/... for a QR code. */
  otpauthUri: string
}

export interface StepUp {
  accessToken: string
  expiresIn: number
  /** How this token's holder proved who they are. */
  amr: string[]
  /** Recovery codes left, when one was used. */
  recoveryCodesLeft?: number
}

export type StepUpProof = { code: string } | { recoveryCode: string }

export interface RequestInfo {
  ip: string
  requestId?: string
}

export interface SecondFactor {
  /** Starts (or restarts, while unconfirmed) enrolment. 409 when a confirmed factor exists. */
  enrol(claims: Claims, info: RequestInfo): Promise<Enrolment>
  /** Confirms enrolment with a first code; returns the recovery codes (the only time they are shown). */
  confirm(claims: Claims, code: string, info: RequestInfo): Promise<{ recoveryCodes: string[] }>
  /** A short-lived admin token with the second factor in its amr. */
  stepUp(claims: Claims, proof: StepUpProof, info: RequestInfo): Promise<StepUp>
}

interface FactorRow {
  secretSealed: string
  confirmedAt: Date | null
  lastTimeStep: string | null
}

export function createSecondFactor(platform: Platform, app: string): SecondFactor {
  const db = platform.db.kysely
  const crypto = platform.crypto
  const pepper = platform.config.OTP_PEPPER
  const window = 15 * 60
  const perUser = platform.limiter({ name: `totp-user:${app}`, points: platform.config.TOTP_FAILURES_PER_USER, durationSeconds: window })
  const perIp = platform.limiter({ name: `totp-ip:${app}`, points: platform.config.TOTP_FAILURES_PER_IP, durationSeconds: window })
  const context = (userId: string) => `${app}:second-factor:${userId}`
  const recoveryHash = (userId: string, code: string) =>
    createHmac('sha256', pepper)
      .update(`${app}\n${userId}\n${normalizeRecovery(code)}`)
      .digest('base64url')
  const epoch = () => Math.floor(platform.clock.now().getTime() / 1000)

  async function factorOf(ex: Executor, userId: string, lock = false): Promise<FactorRow | undefined> {
    const { rows } = await sql<FactorRow>`
      select secret_sealed, confirmed_at, last_time_step::text as last_time_step
      from platform.admin_second_factors where app = ${app} and user_id = ${userId}
      ${lock ? sql`for update` : sql``}`.execute(ex)
    return rows[0]
  }

  async function record(ex: Executor, claims: Claims, action: string, info: RequestInfo, data: Record<string, unknown> = {}) {
    await platform.audit.record(ex, {
      app,
      actorId: claims.sub,
      actorRole: claims.role,
      action: `admin.second_factor.${action}`,
      subjectType: 'admin',
      subjectId: claims.sub,
      data: { ip: info.ip, ...data },
      requestId: info.requestId,
    })
  }

  /** Counts a guess against both budgets before it is checked: 429 once either is spent. */
  async function spendGuess(userId: string, ip: string) {
    for (const [limiter, key] of [
      [perUser, userId],
      [perIp, ip],
    ] as const) {
      const { allowed, retryAfterSeconds } = await limiter.hit(key)
      if (!allowed)
        throw new AppError('rate_limited', `Too many wrong second-factor codes; try again in ${retryAfterSeconds} seconds`, {
          retryAfterSeconds,
        })
    }
  }
  async function refundGuess(userId: string, ip: string) {
    await perUser.refund(userId)
    await perIp.refund(ip)
  }

  /** Runs a check that spent a guess; a refusal other than a wrong code (409, 403) gives the guess back. */
  async function guessed<T>(userId: string, ip: string, check: () => Promise<T>): Promise<T> {
    try {
      return await check()
    } catch (err) {
      await refundGuess(userId, ip)
      throw err
    }
  }

  /** The time step the code belongs to, if it is right and newer than the last one used. */
  async function checkCode(secret: string, code: string, after: string | null): Promise<number | undefined> {
    const result = await verify({
      secret,
      token: code,
      epoch: epoch(),
      period: PERIOD_SECONDS,
      epochTolerance: TOLERANCE_SECONDS,
      ...(after === null ? {} : { afterTimeStep: Number(after) }),
    }).catch(() => ({ valid: false as const }))
    return result.valid && 'timeStep' in result ? result.timeStep : undefined
  }

  async function wrong(claims: Claims, info: RequestInfo, action: string, message: string): Promise<never> {
    await record(db, claims, action, info).catch((err: Error) =>
      platform.log.warn({ reason: err.message }, 'audit of a wrong second-factor code not written'),
    )
    throw new AppError('invalid_code', message)
  }

  return {
    async enrol(claims, info) {
      const secret = generateSecret()
      const label = typeof claims.email === 'string' ? claims.email : claims.sub
      await db.transaction().execute(async (tx) => {
        const existing = await factorOf(tx, claims.sub, true)
        if (existing?.confirmedAt)
          throw conflict(
            'A second factor is already enrolled; to replace it, ask another admin to remove it (or use a recovery code to step up)',
          )
        const sealed = crypto.encrypt(secret, context(claims.sub))
        await sql`
          insert into platform.admin_second_factors (app, user_id, secret_sealed)
          values (${app}, ${claims.sub}, ${sealed})
          on conflict (app, user_id) do update set secret_sealed = excluded.secret_sealed, created_at = now(), last_time_step = null`.execute(
          tx,
        )
        await record(tx, claims, 'enrolment_started', info)
      })
      return { secret, otpauthUri: generateURI({ issuer: `${ISSUER} ${app}`, label, secret, period: PERIOD_SECONDS }) }
    },

    async confirm(claims, code, info) {
      await spendGuess(claims.sub, info.ip)
      const outcome = await guessed(claims.sub, info.ip, () =>
        db.transaction().execute(async (tx) => {
          const factor = await factorOf(tx, claims.sub, true)
          if (!factor) throw conflict('No enrolment to confirm: POST /auth/admin/second-factor first')
          if (factor.confirmedAt) throw conflict('The second factor is already confirmed')
          const step = await checkCode(crypto.decrypt(factor.secretSealed, context(claims.sub)), code, null)
          if (step === undefined) return undefined
          const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
          await sql`
          update platform.admin_second_factors set confirmed_at = now(), last_time_step = ${step}
          where app = ${app} and user_id = ${claims.sub}`.execute(tx)
          await sql`delete from platform.admin_recovery_codes where app = ${app} and user_id = ${claims.sub}`.execute(tx)
          await tx
            .insertInto('platform.adminRecoveryCodes')
            .values(recoveryCodes.map((c) => ({ app, userId: claims.sub, codeHash: recoveryHash(claims.sub, c) })))
            .execute()
          await record(tx, claims, 'enrolled', info, { recoveryCodes: RECOVERY_CODE_COUNT })
          return { recoveryCodes }
        }),
      )
      if (!outcome) return wrong(claims, info, 'confirm_failed', 'Wrong code: enter the current code of your authenticator app')
      await refundGuess(claims.sub, info.ip)
      return outcome
    },

    async stepUp(claims, proof, info) {
      await spendGuess(claims.sub, info.ip)
      const used = await guessed(claims.sub, info.ip, () =>
        db.transaction().execute(async (tx) => {
          const factor = await factorOf(tx, claims.sub, true)
          if (!factor?.confirmedAt)
            throw new AppError('second_factor_required', 'No second factor enrolled yet: POST /auth/admin/second-factor, then confirm it')
          if ('code' in proof) {
            const step = await checkCode(crypto.decrypt(factor.secretSealed, context(claims.sub)), proof.code, factor.lastTimeStep)
            if (step === undefined) return undefined
            await sql`update platform.admin_second_factors set last_time_step = ${step} where app = ${app} and user_id = ${claims.sub}`.execute(
              tx,
            )
            await record(tx, claims, 'step_up', info, { method: 'totp' })
            return { amr: 'totp' }
          }
          const { rows } = await sql<{ left: number }>`
          with spent as (
            update platform.admin_recovery_codes set used_at = now()
            where app = ${app} and user_id = ${claims.sub} and code_hash = ${recoveryHash(claims.sub, proof.recoveryCode)} and used_at is null
            returning id)
          select (select count(*)::int from platform.admin_recovery_codes
                  where app = ${app} and user_id = ${claims.sub} and used_at is null) - (select count(*)::int from spent) as left,
                 (select count(*)::int from spent) as spent`.execute(tx)
          const row = rows[0] as { left: number; spent: number } | undefined
          if (!row?.spent) return undefined
          await record(tx, claims, 'step_up', info, { method: 'recovery_code', recoveryCodesLeft: row.left })
          return { amr: 'recovery_code', left: row.left }
        }),
      )
      if (!used)
        return wrong(
          claims,
          info,
          'step_up_failed',
          'code' in proof ? 'Wrong or already used code: wait for the next one' : 'Wrong or already used recovery code',
        )
      await refundGuess(claims.sub, info.ip)
      const ttl = platform.config.ADMIN_STEP_UP_TTL_SECONDS
      const amr = ['otp', used.amr]
      const accessToken = await platform.tokens.sign(
        {
          sub: claims.sub,
          role: claims.role,
          app,
          ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
          ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
          amr,
        },
        platform.clock.now(),
        ttl,
      )
      return {
        accessToken,
        expiresIn: Math.min(ttl, platform.config.JWT_TTL_SECONDS),
        amr,
        ...('left' in used ? { recoveryCodesLeft: used.left } : {}),
      }
    },
  }
}

/** Ten characters in two groups, from an alphabet without look-alikes: about 50 bits each. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  const chars = Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)])
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`
}

/** Case, spaces and the dash do not matter when a code is typed. */
const normalizeRecovery = (code: string) => code.toLowerCase().replace(/[\s-]/g, '')
