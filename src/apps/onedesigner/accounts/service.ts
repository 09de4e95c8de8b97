// Sign-up and login by email code for clients, designers and admins; sessions; the caller's account.
import {
  type Platform,
  type Claims,
  withUser,
  AppError,
  notFound,
  createOtpService,
  normalizeEmail,
  type OtpPurpose,
  createSessions,
  type Session,
} from '../../../platform'
import * as repo from './repository'
import type { Role } from './repository'
import { APP } from '../app-name'

export interface RequestContext {
  ip: string
  requestId?: string
}

export type AccountSession = Session & { user: { role: Role } }

export type AccountService = ReturnType<typeof createAccountService>

export function createAccountService(platform: Platform) {
  const otp = createOtpService(platform, { app: APP, title: 'OneDesigner' })
  const sessions = createSessions(platform, APP)
  const db = platform.db.kysely

  return {
    otp,

    /** The same answer, after the same work, whether or not the address has an account. */
    async requestCode(input: { email: string; type: Role; purpose?: OtpPurpose }, ctx: RequestContext) {
      const email = normalizeEmail(input.email)
      const existing = await repo.findByEmail(db, input.type, email)
      // Clients and designers sign up by code; admins never do, so an unknown admin address gets no mail.
      const deliver = input.type !== 'admin' || !!existing
      const { expiresInSeconds } = await otp.issue({ email, type: input.type, purpose: input.purpose ?? 'login', ip: ctx.ip, deliver })
      return { status: 'sent' as const, expiresInSeconds }
    },

    async verifyCode(
      input: { email: string; type: Role; code: string; firstName?: string; lastName?: string },
      ctx: RequestContext,
    ): Promise<AccountSession> {
      try {
        return await otp.verify({ email: input.email, type: input.type, code: input.code, ip: ctx.ip }, async (tx, v) => {
          const now = platform.clock.now()
          let account = await repo.findByEmail(tx, input.type, v.email)
          if (!account) {
            if (input.type === 'admin') throw new AppError('forbidden', 'There is no admin account for this email')
            const fresh = { email: v.email, firstName: input.firstName, lastName: input.lastName }
            account = input.type === 'client' ? await repo.createClient(tx, fresh) : await repo.createDesigner(tx, fresh)
          }
          await repo.touchLastLogin(tx, input.type, account.id, now)
          if (input.type === 'admin')
            await platform.audit.record(tx, {
              app: APP,
              actorId: account.id,
              actorRole: 'admin',
              action: 'admin.login',
              subjectType: 'admin',
              subjectId: account.id,
              data: { ip: ctx.ip, purpose: v.purpose },
              requestId: ctx.requestId,
            })
          return (await sessions.start(tx, { id: account.id, role: input.type, email: account.email })) as AccountSession
        })
      } catch (err) {
        if (input.type === 'admin' && err instanceof AppError && (err.code === 'invalid_code' || err.code === 'locked'))
          await platform.audit
            .record(db, {
              app: APP,
              action: 'admin.login_failed',
              subjectType: 'admin_email',
              subjectId: normalizeEmail(input.email),
              data: { ip: ctx.ip, reason: err.code },
              requestId: ctx.requestId,
            })
            // The caller must still get the code error, not an audit failure.
            .catch((auditErr: Error) => platform.log.warn({ reason: auditErr.message }, 'audit of failed admin login not written'))
        throw err
      }
    },

    async refresh(refreshToken: string): Promise<AccountSession> {
      const session = await sessions.refresh(refreshToken, async (id, role) => {
        if (role !== 'client' && role !== 'designer' && role !== 'admin') return undefined
        const account = await repo.findById(db, role, id)
        return account && { id: account.id, role, email: account.email }
      })
      return session as AccountSession
    },

    logout(refreshToken: string) {
      return sessions.end(refreshToken)
    },

    async me(claims: Claims) {
      return withUser(db, claims, async (tx) => {
        switch (claims.role as Role) {
          case 'client': {
            const c = await repo.readClient(tx, claims.sub)
            if (!c) throw notFound('Account')
            return {
              role: 'client' as const,
              id: c.id,
              email: c.email,
              firstName: c.firstName,
              lastName: c.lastName,
              credits: c.matchCredits,
              isVerified: !!c.isVerified,
              profileCompleted: !!c.profileCompleted,
              createdAt: c.createdAt,
            }
          }
          case 'designer': {
            const d = await repo.readDesigner(tx, claims.sub)
            if (!d) throw notFound('Account')
            return {
              role: 'designer' as const,
              id: d.id,
              email: d.email,
              firstName: d.firstName,
              lastName: d.lastName,
              isVerified: !!d.isVerified,
              isApproved: !!d.isApproved,
              approvalStatus: d.isApproved ? ('approved' as const) : d.rejectionReason ? ('rejected' as const) : ('pending' as const),
              editedAfterApproval: !!d.editedAfterApproval,
              rejectionReason: d.rejectionReason,
              lastApprovedAt: d.lastApprovedAt,
              lastLoginAt: d.lastLoginAt,
              createdAt: d.createdAt,
            }
          }
          case 'admin': {
            const a = await repo.readAdmin(tx, claims.sub)
            if (!a) throw notFound('Account')
            return { role: 'admin' as const, id: a.id, email: a.email, name: a.name, lastLoginAt: a.lastLoginAt, createdAt: a.createdAt }
          }
          default:
            throw new AppError('forbidden', `Unknown role ${claims.role}`)
        }
      })
    },
  }
}
