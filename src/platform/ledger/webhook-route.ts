// The route a payment provider calls back: its body stays raw (the signature covers the exact
// bytes sent), so it lives in a scope of its own and the app's other routes keep parsing JSON.
import { z } from 'zod'
import type { Http } from '../app'
import { errorSchema } from '../http/server'
import { AppError } from '../http/errors'
import { SIGNATURE_HEADER } from './payments'

export interface WebhookRouteOptions<R extends string> {
  path: string
  tags: string[]
  summary: string
  /** What a succeeded payment does, for the description. */
  effect: string
  /** The outcomes the handler answers with. */
  results: readonly [R, ...R[]]
  /** Verifies (platform.payments.parseWebhook) and applies the event. */
  handle(rawBody: Buffer, signature: string | undefined): Promise<{ received: true; result: R; purchaseId?: string }>
}

export async function paymentWebhookRoute<R extends string>(http: Http, o: WebhookRouteOptions<R>) {
  await http.register(async (scope: Http) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
    scope.post(
      o.path,
      {
        schema: {
          tags: o.tags,
          summary: o.summary,
          description:
            `Signed like Stripe's webhooks (${SIGNATURE_HEADER}: t=...,v1=...). ${o.effect} exactly once, however often the ` +
            'event is delivered. No bearer token: the signature is the authentication.',
          headers: z.object({
            [SIGNATURE_HEADER]: z.string().optional().describe('The signature, t=...,v1=...; a request without one is refused with 401'),
          }),
          response: {
            200: z.object({ received: z.literal(true), result: z.enum(o.results), purchaseId: z.uuid().optional() }),
            400: errorSchema,
            401: errorSchema.describe('Missing or forged signature'),
            503: errorSchema,
          },
        },
      },
      async (req) => {
        const body = req.body
        if (!Buffer.isBuffer(body) || body.length === 0) throw new AppError('bad_request', 'The webhook body is empty')
        const signature = req.headers[SIGNATURE_HEADER]
        return o.handle(body, typeof signature === 'string' ? signature : undefined)
      },
    )
  })
}
