// The admin second factor's routes, for an app with admins: enrol, confirm, step up
// (auth/totp.ts). They take the admin's sign-in token; every other admin route needs the token
// the step-up gives (http/auth-guard.ts).
import { z } from 'zod'
import type { AppContext } from '../http/app-context'
import { errorSchema } from '../http/server'
import { ADMIN_ROLE } from '../http/auth-guard'
import { createSecondFactor, RECOVERY_CODE_COUNT } from './totp'

const totpCode = z
  .string()
  .regex(/^\d{6}$/, 'must be 6 digits')
  .describe('The current 6-digit code of the authenticator app')
const LIMITS =
  'Wrong codes count against the admin (TOTP_FAILURES_PER_USER, default 5) and the address (TOTP_FAILURES_PER_IP, default 20) per 15 minutes; past either the answer is 429 with Retry-After.'

export function secondFactorRoutes({ app, http, platform, guard }: AppContext) {
  const factor = createSecondFactor(platform, app)
  const signedIn = guard([ADMIN_ROLE], { withoutSecondFactor: true })
  const tags = ['admin second factor']
  const info = (req: { ip: string; id: string }) => ({ ip: req.ip, requestId: req.id })

  http.post(
    '/auth/admin/second-factor',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Start enrolling an authenticator app (TOTP)',
        description:
          'Returns a new secret and its otpauth:// URI (show it as a QR code). The factor is on once confirmed with a first code. While unconfirmed, calling again replaces the secret; once confirmed, 409.',
        response: { 201: z.object({ secret: z.string(), otpauthUri: z.string() }), 409: errorSchema },
      },
    },
    async (req, reply) => reply.code(201).send(await factor.enrol(req.claims, info(req))),
  )

  http.post(
    '/auth/admin/second-factor/confirm',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Confirm enrolment with a first code; get the recovery codes',
        description: `Answers ${RECOVERY_CODE_COUNT} one-time recovery codes, shown this once (they are stored hashed). ${LIMITS}`,
        body: z.object({ code: totpCode }).strict(),
        response: {
          200: z.object({ recoveryCodes: z.array(z.string()) }),
          401: errorSchema.describe('invalid_code: the code is wrong'),
          409: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (req) => factor.confirm(req.claims, req.body.code, info(req)),
  )

  http.post(
    '/auth/admin/step-up',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Exchange the sign-in token and a second factor for an admin token',
        description: `Give exactly one of code (authenticator app; each code works once) or recoveryCode (each works once). The answer is a short-lived access token (ADMIN_STEP_UP_TTL_SECONDS, default 15 minutes) that admin routes accept; without it they answer 403 second_factor_required. ${LIMITS}`,
        body: z.union([z.object({ code: totpCode }).strict(), z.object({ recoveryCode: z.string().trim().min(10).max(32) }).strict()]),
        response: {
          200: z.object({
            accessToken: z.string(),
            expiresIn: z.number().int(),
            amr: z.array(z.string()),
            recoveryCodesLeft: z.number().int().optional(),
          }),
          401: errorSchema.describe('invalid_code: wrong or already used code'),
          403: errorSchema.describe('second_factor_required: no second factor enrolled yet; forbidden: not an admin'),
          429: errorSchema,
        },
      },
    },
    async (req) => factor.stepUp(req.claims, req.body, info(req)),
  )
}
