import { z } from 'zod'
import { type AppContext, errorSchema, sessionRoutes, otpCode, otpEmail, otpRoutes } from '../../../platform'
import { createAccountService } from './service'

const tags = ['accounts']
const role = z.enum(['client', 'designer', 'admin'])
const sessionSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().describe('Seconds the access token lives'),
    user: z.object({ id: z.uuid(), email: z.string(), role }),
  })
  .meta({ id: 'Session' })

const meSchema = z
  .discriminatedUnion('role', [
    z.object({
      role: z.literal('client'),
      id: z.uuid(),
      email: z.string(),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
      credits: z.number().int(),
      isVerified: z.boolean(),
      profileCompleted: z.boolean(),
      createdAt: z.date(),
    }),
    z.object({
      role: z.literal('designer'),
      id: z.uuid(),
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      isVerified: z.boolean(),
      isApproved: z.boolean(),
      approvalStatus: z.enum(['pending', 'approved', 'rejected']),
      editedAfterApproval: z.boolean(),
      rejectionReason: z.string().nullable(),
      lastApprovedAt: z.date().nullable(),
      lastLoginAt: z.date().nullable(),
      createdAt: z.date(),
    }),
    z.object({
      role: z.literal('admin'),
      id: z.uuid(),
      email: z.string(),
      name: z.string().nullable(),
      lastLoginAt: z.date().nullable(),
      createdAt: z.date(),
    }),
  ])
  .meta({ id: 'Account' })

export async function accountRoutes({ http, platform, guard }: AppContext) {
  const accounts = createAccountService(platform)
  otpRoutes(http, {
    tags,
    requestBody: z.object({ email: otpEmail, type: role, purpose: z.enum(['login', 'signup']).optional() }),
    requestNote: 'Clients and designers are signed up on their first verified code; admins must already exist.',
    verifyBody: z.object({
      email: otpEmail,
      type: role,
      code: otpCode,
      firstName: z.string().trim().max(100).optional(),
      lastName: z.string().trim().max(100).optional(),
    }),
    verifyDescription: 'Names are used only when this creates the account.',
    sessionSchema,
    otp: accounts.otp,
    request: (body, ctx) => accounts.requestCode(body, ctx),
    verify: (body, ctx) => accounts.verifyCode(body, ctx),
  })

  sessionRoutes(http, { tags, sessionSchema, refresh: (token) => accounts.refresh(token), logout: (token) => accounts.logout(token) })

  http.get(
    '/me',
    {
      preHandler: guard(['client', 'designer', 'admin']),
      schema: {
        tags,
        summary: 'The signed-in account',
        response: { 200: meSchema, 404: errorSchema },
      },
    },
    async (req) => accounts.me(req.claims),
  )
}
