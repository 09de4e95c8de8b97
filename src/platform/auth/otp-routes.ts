// POST /auth/otp and /auth/otp/verify, the same for every app: the app gives the bodies (who may
// ask: an account type, names for sign-up ...), the session's shape, and what verifying does
// (finding or creating the user). The codes themselves are the OTP service's (otp.ts).
import { z, type ZodObject, type ZodRawShape, type ZodType } from 'zod'
import type { Http } from '../app'
import { errorSchema } from '../http/server'
import { recordActivity } from '../ops/logs/access-log'

/** The email field of every OTP body. */
export const otpEmail = z.email().max(255).describe('Email address; case does not matter')
/** The code field of every verify body. */
export const otpCode = z.string().regex(/^\d{6}$/, 'must be 6 digits')

const sentSchema = z.object({ status: z.literal('sent'), expiresInSeconds: z.number().int() })
const VERIFY_LIMITS =
  'Wrong codes: 5 from one address lock this email for that address for an hour (423); 20 from all addresses lock it ' +
  'for everyone for one fixed hour, which further guesses do not extend; 30 from one address in 10 minutes, across ' +
  'emails, answer 429 with Retry-After. New codes never reset these.'
const BASE_REQUEST_DESCRIPTION =
  'Sends a 6-digit code valid for 10 minutes. The answer is the same whether or not the address has an account.'

export interface OtpRequestContext {
  ip: string
  requestId: string
}

export interface OtpRouteOptions<RB extends ZodRawShape, VB extends ZodRawShape, S> {
  tags: string[]
  /** The body of POST /auth/otp (with otpEmail). */
  requestBody: ZodObject<RB>
  /** Said after the common description of POST /auth/otp, e.g. who is signed up. */
  requestNote?: string
  /** The body of POST /auth/otp/verify (with otpEmail and otpCode). */
  verifyBody: ZodObject<VB>
  verifyDescription: string
  sessionSchema: ZodType<S>
  /** The app's OTP service, drained when the server closes so no mail is lost. */
  otp: { drain(): Promise<void> }
  request(body: z.infer<ZodObject<RB>>, ctx: OtpRequestContext): Promise<z.infer<typeof sentSchema>>
  verify(body: z.infer<ZodObject<VB>>, ctx: OtpRequestContext): Promise<S>
}

export function otpRoutes<RB extends ZodRawShape, VB extends ZodRawShape, S>(http: Http, o: OtpRouteOptions<RB, VB, S>) {
  http.addHook('onClose', async () => o.otp.drain())

  http.post(
    '/auth/otp',
    {
      schema: {
        tags: o.tags,
        summary: 'Email a sign-in code',
        description: o.requestNote ? `${BASE_REQUEST_DESCRIPTION} ${o.requestNote}` : BASE_REQUEST_DESCRIPTION,
        body: o.requestBody,
        response: { 202: sentSchema, 400: errorSchema, 429: errorSchema },
      },
    },
    async (req, reply) => reply.code(202).send(await o.request(req.body as z.infer<ZodObject<RB>>, { ip: req.ip, requestId: req.id })),
  )

  http.post(
    '/auth/otp/verify',
    {
      schema: {
        tags: o.tags,
        summary: 'Exchange a code for a session',
        description: `${o.verifyDescription} ${VERIFY_LIMITS}`,
        body: o.verifyBody,
        response: { 200: o.sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 423: errorSchema, 429: errorSchema },
      },
    },
    async (req) => {
      const session = await o.verify(req.body as z.infer<ZodObject<VB>>, { ip: req.ip, requestId: req.id })
      // A session names its user (user.id): the sign-in goes to platform.user_activity.
      const userId = (session as { user?: { id?: unknown } }).user?.id
      if (typeof userId === 'string') recordActivity(req, 'sign_in', userId)
      return session
    },
  )
}
