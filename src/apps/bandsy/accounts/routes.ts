// Sign-in: POST /auth/otp and /auth/otp/verify (email code), POST /auth/external (identity
// provider token), /auth/refresh, /auth/logout.
import { z } from 'zod'
import { type AppContext, errorSchema, sessionRoutes, otpCode, otpEmail, otpRoutes } from '../../../platform'
import { createAccountService } from './service'

const tags = ['accounts']

export const sessionSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().describe('Seconds the access token lives'),
    user: z.object({ id: z.uuid(), email: z.string(), role: z.literal('musician') }),
  })
  .meta({ id: 'BandsySession' })

export async function accountRoutes({ http, platform }: AppContext) {
  const accounts = createAccountService(platform)
  otpRoutes(http, {
    tags,
    requestBody: z.object({ email: otpEmail }),
    verifyBody: z.object({
      email: otpEmail,
      code: otpCode,
      displayName: z.string().trim().min(1).max(100).optional().describe('Used only when this creates the account'),
    }),
    verifyDescription: 'The first verified code creates the account, with a username made from the address (change it with PATCH /me).',
    sessionSchema,
    otp: accounts.otp,
    request: (body, ctx) => accounts.requestCode(body.email, ctx.ip),
    verify: async (body, ctx) => (await accounts.verifyCode(body, ctx.ip)) as z.infer<typeof sessionSchema>,
  })

  http.post(
    '/auth/external',
    {
      schema: {
        tags,
        summary: "Exchange an identity provider's token (e.g. Clerk) for a session",
        description:
          'The token is verified against the provider’s JWKS (IDP_JWKS_URL, IDP_ISSUER, IDP_AUDIENCE). Its subject is the ' +
          'account’s external auth id; the first exchange creates the account. 404 when no provider is configured.',
        body: z.object({ token: z.string().min(16).max(8192).describe('The provider-issued JWT') }),
        response: {
          200: sessionSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          409: errorSchema,
          502: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (req) => (await accounts.exchangeExternal(req.body.token)) as z.infer<typeof sessionSchema>,
  )

  sessionRoutes(http, {
    tags,
    sessionSchema,
    refresh: async (token) => (await accounts.refresh(token)) as z.infer<typeof sessionSchema>,
    logout: (token) => accounts.logout(token),
  })
}
