// Sign-in for musicians. Two doors to one account model: the platform's email OTP (the embedded
// default) and a JWT from an external identity provider such as Clerk, verified through its JWKS.
// Either way the musician's row is keyed by an external auth id (the seed's clerkId): the
// provider's subject, or `email:<address>` for OTP accounts. Both end in a Matchbase session.
import { type Platform, AppError, createOtpService, normalizeEmail, createSessions, type Session, type Executor } from '../../../platform'
import * as repo from './repository'
import { usernameBase } from './usernames'
import { APP } from '../app-name'

export const MUSICIAN = 'musician'

export type AccountService = ReturnType<typeof createAccountService>

export function createAccountService(platform: Platform) {
  const otp = createOtpService(platform, { app: APP, title: 'Bandsy' })
  const sessions = createSessions(platform, APP)
  const db = platform.db.kysely

  function refuseDeleted(account: repo.AccountRow) {
    if (account.deletedAt) throw new AppError('forbidden', 'This account was deleted')
  }

  async function start(tx: Executor, account: repo.AccountRow): Promise<Session> {
    await repo.touchLastActive(tx, account.id, platform.clock.now())
    return sessions.start(tx, { id: account.id, role: MUSICIAN, email: account.email ?? '' })
  }

  return {
    otp,

    async requestCode(email: string, ip: string) {
      const { expiresInSeconds } = await otp.issue({ email: normalizeEmail(email), type: MUSICIAN, purpose: 'login', ip })
      return { status: 'sent' as const, expiresInSeconds }
    },

    /** First verified code creates the account. */
    async verifyCode(input: { email: string; code: string; displayName?: string }, ip: string): Promise<Session> {
      return otp.verify({ email: input.email, type: MUSICIAN, code: input.code, ip }, async (tx, v) => {
        let account = await repo.findByEmail(tx, v.email)
        if (!account) {
          const local = v.email.split('@')[0]
          account = await repo.createUser(tx, {
            clerkId: `email:${v.email}`,
            email: v.email,
            usernameBase: usernameBase(local),
            displayName: input.displayName?.trim() || local,
            now: platform.clock.now(),
          })
        }
        refuseDeleted(account)
        return start(tx, account)
      })
    },

    /** Exchanges an identity provider's token for a session; the first one creates the account. */
    async exchangeExternal(token: string): Promise<Session> {
      if (!platform.identity.enabled)
        throw new AppError('not_found', 'No external identity provider is configured (IDP_JWKS_URL); sign in by email code')
      const who = await platform.identity.verify(token)
      return db.transaction().execute(async (tx) => {
        let account = await repo.findByClerkId(tx, who.subject)
        if (!account) {
          const email = who.email ? normalizeEmail(who.email) : null
          if (email && (await repo.findByEmail(tx, email)))
            throw new AppError('conflict', 'An account with this email already signs in by email code')
          account = await repo.createUser(tx, {
            clerkId: who.subject,
            email,
            usernameBase: usernameBase(who.name ?? email?.split('@')[0] ?? 'musician'),
            displayName: who.name?.trim() || email?.split('@')[0] || 'Musician',
            now: platform.clock.now(),
          })
        }
        refuseDeleted(account)
        return start(tx, account)
      })
    },

    async refresh(refreshToken: string): Promise<Session> {
      return sessions.refresh(refreshToken, async (id, role) => {
        if (role !== MUSICIAN) return undefined
        const account = await repo.findById(db, id)
        return account && !account.deletedAt ? { id: account.id, role, email: account.email ?? '' } : undefined
      })
    },

    logout: (refreshToken: string) => sessions.end(refreshToken),
    endAllSessions: (tx: Executor, userId: string) => sessions.endAllForUser(tx, userId),
  }
}
