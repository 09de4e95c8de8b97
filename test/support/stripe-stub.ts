// A tiny stand-in for Stripe's PaymentIntents and Refunds APIs on 127.0.0.1, for tests of the real SDK path
// with no network (point STRIPE_API_BASE at it). It honours Idempotency-Key the way Stripe does:
// the same key returns the first answer. Test payment methods follow Stripe's names.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StubRequest {
  method: string
  path: string
  idempotencyKey?: string
  authorization?: string
  form: Record<string, string>
}

export interface StripeStub {
  url: string
  requests: StubRequest[]
  /** Distinct PaymentIntents created (replays by idempotency key excluded). */
  created: number
  /** Distinct refunds made (replays by idempotency key excluded). */
  refunds: number
  close(): Promise<void>
}

export async function startStripeStub(): Promise<StripeStub> {
  const requests: StubRequest[] = []
  const byKey = new Map<string, { status: number; body: unknown }>()
  let created = 0
  let refunds = 0
  /** Each intent's amount and what has been refunded of it, as Stripe refuses refunding more than was paid. */
  const intents = new Map<string, { amount: number; status: string; refunded: number }>()

  function refund(form: Record<string, string>): { status: number; body: unknown } {
    const intent = intents.get(form.payment_intent)
    const invalid = (code: string, message: string, status = 400) => ({
      status,
      body: { error: { type: 'invalid_request_error', code, message } },
    })
    if (!intent) return invalid('resource_missing', `No such payment_intent: '${form.payment_intent}'`, 404)
    if (intent.status !== 'succeeded') return invalid('payment_intent_unexpected_state', 'This PaymentIntent has not succeeded')
    const amount = form.amount === undefined ? intent.amount - intent.refunded : Number(form.amount)
    if (intent.refunded >= intent.amount)
      return invalid('charge_already_refunded', `Charge for ${form.payment_intent} has already been refunded.`)
    if (amount > intent.amount - intent.refunded)
      return invalid('amount_too_large', 'Refund amount is greater than unrefunded amount on charge')
    intent.refunded += amount
    refunds++
    return {
      status: 200,
      body: {
        id: `re_stub_${refunds}`,
        object: 'refund',
        amount,
        payment_intent: form.payment_intent,
        status: 'succeeded',
        failure_reason: null,
      },
    }
  }

  function answer(form: Record<string, string>): { status: number; body: unknown } {
    created++
    const id = `pi_stub_${created}`
    intents.set(id, { amount: Number(form.amount), status: form.payment_method === 'pm_card_visa' ? 'succeeded' : 'other', refunded: 0 })
    const intent = (status: string, extra: object = {}) => ({
      id,
      object: 'payment_intent',
      amount: Number(form.amount),
      currency: form.currency,
      status,
      client_secret: `${id}_secret_stub`,
      metadata: { app: form['metadata[app]'], reference: form['metadata[reference]'], accountId: form['metadata[accountId]'] },
      last_payment_error: null,
      ...extra,
    })
    const pm = form.payment_method
    if (!pm) return { status: 200, body: intent('requires_payment_method') }
    switch (pm) {
      case 'pm_card_visa':
        return { status: 200, body: intent('succeeded') }
      case 'pm_card_authenticationRequired':
        return { status: 200, body: intent('requires_action') }
      case 'pm_card_declined':
        return {
          status: 402,
          body: {
            error: {
              type: 'card_error',
              code: 'card_declined',
              decline_code: 'generic_decline',
              message: 'Your card was declined.',
              payment_intent: intent('requires_payment_method', { last_payment_error: { message: 'Your card was declined.' } }),
            },
          },
        }
      case 'pm_card_outage':
        return { status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } }
      default:
        return {
          status: 400,
          body: {
            error: {
              type: 'invalid_request_error',
              code: 'resource_missing',
              param: 'payment_method',
              message: `No such PaymentMethod: '${pm}'`,
            },
          },
        }
    }
  }

  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw))
      const key = req.headers['idempotency-key'] as string | undefined
      requests.push({ method: req.method ?? '', path: req.url ?? '', idempotencyKey: key, authorization: req.headers.authorization, form })
      let out: { status: number; body: unknown }
      const route = req.method === 'POST' ? { '/v1/payment_intents': answer, '/v1/refunds': refund }[req.url ?? ''] : undefined
      if (!route) {
        out = {
          status: 404,
          body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.url})` } },
        }
      } else if (key && byKey.has(key)) {
        out = byKey.get(key)!
      } else {
        out = route(form)
        // Stripe does not keep 500s for a key: a retry runs again.
        if (key && out.status < 500) byKey.set(key, out)
      }
      res.writeHead(out.status, { 'content-type': 'application/json', 'request-id': `req_stub_${requests.length}` })
      res.end(JSON.stringify(out.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get created() {
      return created
    },
    get refunds() {
      return refunds
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
