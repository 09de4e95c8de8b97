import { z } from 'zod'
import type { AppContext } from '../../../platform/http/app-context'
import { errorSchema } from '../../../platform/http/server'
import { sessionRoutes } from '../../../platform/auth/session-routes'
import { createAccountService } from './service'

const tags = ['accounts']
const role = z.enum(['client', 'designer', 'admin'])
const email = z.email().max(255).describe('Email address; case does not matter')

const sentSchema = z.object({ status: z.literal('sent'), expiresInSeconds: z.number().int() })
const sessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().describe('Seconds the access token lives'),
  user: z.object({ id: z.uuid(), email: z.string(), role }),
}).meta({ id: 'Session' })

const meSchema = z.discriminatedUnion('role', [
  z.object({
    role: z.literal('client'),
    id: z.uuid(),
    email: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    credits: z.number().int(),
    isVerified: z.boolean(),
    profileCompleted: z.boolean(),
    createdAt: z.date().nullable(),
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
    createdAt: z.date().nullable(),
  }),
  z.object({
    role: z.literal('admin'),
    id: z.uuid(),
    email: z.string(),
    name: z.string().nullable(),
    lastLoginAt: z.date().nullable(),
    createdAt: z.date().nullable(),
  }),
]).meta({ id: 'Account' })

export async function accountRoutes({ http, platform, guard }: AppContext) {
  const accounts = createAccountService(platform)
  http.addHook('onClose', async () => accounts.otp.drain())

  http.post(
    '/auth/otp',
    {
      schema: {
        tags,
        summary: 'Email a sign-in code',
        description:
          'Sends a 6-digit code valid for 10 minutes. The answer is the same whether or not the address has an account. ' +
          'Clients and designers are signed up on their first verified code; admins must already exist.',
        body: z.object({ email, type: role, purpose: z.enum(['login', 'signup']).optional() }),
        response: { 202: sentSchema, 400: errorSchema, 429: errorSchema },
      },
    },
    async (req, reply) => {
      const result = await accounts.requestCode(req.body, { ip: req.ip, requestId: req.id })
      return reply.code(202).send(result)
    },
  )

  http.post(
    '/auth/otp/verify',
    {
      schema: {
        tags,
        summary: 'Exchange a code for a session',
        description:
          'Five wrong codes lock the email for an hour, however many new codes are asked for. ' +
          'Names are used only when this creates the account.',
        body: z.object({
          email,
          type: role,
          code: z.string().regex(/^\d{6}$/, 'must be 6 digits'),
          firstName: z.string().trim().max(100).optional(),
          lastName: z.string().trim().max(100).optional(),
        }),
        response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 423: errorSchema },
      },
    },
    async (req) => accounts.verifyCode(req.body, { ip: req.ip, requestId: req.id }),
  )

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
