// Helpers for Bandsy subscription tests: a payment provider that counts charges, and the
// subscription routes as one-line calls.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { LOCAL_WEBHOOK_SECRET, signedPaymentWebhook } from '../../src/platform/ledger/payments'
import { countingProvider } from './counting-payments'
import { createTestEnv, type TestEnv } from './test-env'
import { DAY } from '../../src/platform/clock'

export { countingProvider }
import { BANDSY, bearer, type Musician } from './bandsy'

export function subscriptionApi(env: TestEnv) {
  return {
    buy: (m: Musician, body: unknown, key: string | null = randomUUID()) =>
      env.http.inject({
        method: 'POST',
        url: `${BANDSY}/subscriptions`,
        headers: { ...bearer(m), ...(key === null ? {} : { 'idempotency-key': key }) },
        payload: body as object,
      }),
    mine: (m: Musician) => env.http.inject({ method: 'GET', url: `${BANDSY}/subscription`, headers: bearer(m) }),
    cancel: (m: Musician) => env.http.inject({ method: 'POST', url: `${BANDSY}/subscription/cancel`, headers: bearer(m) }),
    webhook: (payload: string, signature?: string, contentType = 'application/json; charset=utf-8') =>
      env.http.inject({
        method: 'POST',
        url: `${BANDSY}/payments/webhook`,
        headers: { 'content-type': contentType, ...(signature ? { 'stripe-signature': signature } : {}) },
        payload,
      }),
  }
}

/** A signed 'payment succeeded' (or failed) event for a pending purchase, as the provider sends it. */
export function paymentEvent(p: { id: string; providerPaymentId: string }, o: { failed?: string; eventId?: string; app?: string } = {}) {
  return signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
    type: o.failed ? 'payment_intent.payment_failed' : 'payment_intent.succeeded',
    paymentId: p.providerPaymentId,
    app: o.app ?? 'bandsy',
    reference: p.id,
    eventId: o.eventId,
    failureMessage: o.failed,
  })
}

/** A test database whose payment provider counts charges. */
export async function setup() {
  const payments = countingProvider()
  const env = await createTestEnv({ overrides: { payments } })
  return { env, payments, http: subscriptionApi(env) }
}

/** A musician's subscriptions and purchases as stored (owner role), oldest first. */
export async function subscriptionRows(env: TestEnv, userId: string) {
  const { rows } = await sql<{ planType: string; status: string; startDate: Date; endDate: Date }>`
    select plan_type, status, start_date, end_date from bandsy.subscriptions where user_id = ${userId} order by start_date, created_at`.execute(
    env.platform.db.kysely,
  )
  return rows
}

export async function purchaseRows(env: TestEnv, userId: string) {
  const { rows } = await sql<{
    id: string
    status: string
  }>`select id, status from bandsy.subscription_purchases where user_id = ${userId}`.execute(env.platform.db.kysely)
  return rows
}

export const plusDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY).toISOString()
