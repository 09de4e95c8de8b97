// Regression found by the hostile-input suite (test/fuzz): a correctly signed body that is not
// an event (a JSON string, an event without data.object) crashed the parser with a TypeError (500).
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { parseSignedWebhook } from './payment-webhooks'
import { AppError } from '../http/errors'

const secret = 'whsec_test_hostile'
const signed = (payload: string) => ({ payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }) })

function refusal(payload: string): AppError {
  const hook = signed(payload)
  try {
    parseSignedWebhook('local', secret, hook.payload, hook.signature)
  } catch (err) {
    return err as AppError
  }
  throw new Error('expected a refusal')
}

describe('parseSignedWebhook with signed bodies of the wrong shape', () => {
  it.each([
    ['a JSON string', '"-0"'],
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['an event without a type', '{"id":"evt_1"}'],
    ['a payment_intent event without data', '{"id":"evt_1","type":"payment_intent.succeeded"}'],
    ['a payment_intent event whose object has no id', '{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"metadata":{}}}}'],
  ])('refuses %s with 400 bad_request', (_name, payload) => {
    const err = refusal(payload)
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('bad_request')
  })

  it('reads only string metadata and failure messages', () => {
    const hook = signed(
      JSON.stringify({
        id: 'evt_2',
        type: 'payment_intent.payment_failed',
        data: { object: { id: 'pi_2', metadata: { app: 42, reference: ['x'] }, last_payment_error: { message: { nested: true } } } },
      }),
    )
    expect(parseSignedWebhook('local', secret, hook.payload, hook.signature)).toMatchObject({
      type: 'payment.failed',
      paymentId: 'pi_2',
      app: undefined,
      reference: undefined,
      failureMessage: 'The payment failed',
    })
  })
})
