import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { withUser, DAY, LOCAL_WEBHOOK_SECRET, signedPaymentWebhook } from '../../../platform'
import { startStripeStub, type StripeStub } from '../../../../test/support/stripe-stub'
import { countingProvider } from '../../../../test/support/counting-payments'

const BASE = '/v1/onedesigner'

async function setup() {
  const payments = countingProvider()
  const env = await createTestEnv({ overrides: { payments } })
  return { env, payments }
}

function api(env: TestEnv) {
  return {
    buy: (user: TestUser, body: unknown, key: string | null = randomUUID()) =>
      env.http.inject({
        method: 'POST',
        url: `${BASE}/credits/purchases`,
        headers: { ...bearer(user), ...(key === null ? {} : { 'idempotency-key': key }) },
        payload: body as object,
      }),
    get: (user: TestUser | undefined, path: string) =>
      env.http.inject({ method: 'GET', url: `${BASE}${path}`, headers: user ? bearer(user) : {} }),
    webhook: (payload: string, signature?: string, contentType = 'application/json; charset=utf-8') =>
      env.http.inject({
        method: 'POST',
        url: `${BASE}/credits/webhook`,
        headers: { 'content-type': contentType, ...(signature ? { 'stripe-signature': signature } : {}) },
        payload,
      }),
  }
}

async function ledgerRows(env: TestEnv, clientId: string) {
  const { rows } = await sql<{ delta: number; reason: string; reference: string | null }>`
    select delta, reason, reference from platform.ledger_entries
    where app = 'onedesigner' and account_table = 'clients' and account_id = ${clientId} order by id`.execute(env.platform.db.kysely)
  return rows
}

async function purchaseRows(env: TestEnv, clientId: string) {
  const { rows } = await sql<{ id: string; status: string }>`
    select id, status from onedesigner.credit_purchases where client_id = ${clientId}`.execute(env.platform.db.kysely)
  return rows
}

describe('OneDesigner credits', () => {
  let env: TestEnv
  let payments: ReturnType<typeof countingProvider>
  let http: ReturnType<typeof api>
  beforeAll(async () => {
    ;({ env, payments } = await setup())
    http = api(env)
  })
  afterAll(() => env.close())

  describe('packages', () => {
    it('lists the active packages in order, to clients only', async () => {
      const client = await aClient(env.platform)
      const res = await http.get(client, '/credits/packages')
      expect(res.statusCode).toBe(200)
      expect(res.json().packages.map((p: { id: string }) => p.id)).toEqual(['starter', 'growth', 'scale'])
      expect(res.json().packages[0]).toEqual({ id: 'starter', name: 'Starter', credits: 3, priceCents: 2900, currency: 'usd' })
      expect((await http.get(undefined, '/credits/packages')).statusCode).toBe(401)
      const designer = await aDesigner(env.platform)
      expect((await http.get(designer, '/credits/packages')).statusCode).toBe(403)
    })

    it('hides inactive packages and refuses to sell them', async () => {
      await sql`insert into onedesigner.credit_packages (id, name, credits, price_cents, active, sort_order) values ('retired', 'Retired', 5, 100, false, 9)`.execute(
        env.platform.db.kysely,
      )
      const client = await aClient(env.platform)
      const list = await http.get(client, '/credits/packages')
      expect(list.json().packages.map((p: { id: string }) => p.id)).not.toContain('retired')
      const buy = await http.buy(client, { packageId: 'retired' })
      expect(buy.statusCode).toBe(404)
      expect(buy.json().error.code).toBe('not_found')
    })
  })

  describe('purchases', () => {
    it('charges once and adds the credits with a ledger row in the same transaction', async () => {
      const client = await aClient(env.platform, { credits: 2 })
      const before = payments.charges.length
      const res = await http.buy(client, { packageId: 'starter' }, 'buy-1')
      expect(res.statusCode).toBe(201)
      const { purchase, balance } = res.json()
      expect(balance).toBe(5)
      expect(purchase).toMatchObject({
        packageId: 'starter',
        credits: 3,
        amountCents: 2900,
        currency: 'usd',
        provider: 'local',
        status: 'succeeded',
      })
      expect(purchase.providerPaymentId).toMatch(/^pi_local_/)
      expect(purchase.completedAt).toBe(env.clock.now().toISOString())
      expect(payments.charges.length).toBe(before + 1)
      expect(payments.charges.at(-1)).toMatchObject({ app: 'onedesigner', accountId: client.id, reference: purchase.id, amountCents: 2900 })
      expect(await ledgerRows(env, client.id)).toEqual([
        { delta: 2, reason: 'test-grant', reference: null },
        { delta: 3, reason: 'purchase', reference: purchase.id },
      ])
    })

    it('replays a retry with the same key: same answer, no second charge or credit', async () => {
      const client = await aClient(env.platform)
      const first = await http.buy(client, { packageId: 'growth' }, 'buy-retry')
      const charges = payments.charges.length
      const again = await http.buy(client, { packageId: 'growth' }, 'buy-retry')
      expect(again.statusCode).toBe(201)
      expect(again.headers['idempotent-replayed']).toBe('true')
      expect(again.body).toBe(first.body)
      expect(payments.charges.length).toBe(charges)
      expect(await purchaseRows(env, client.id)).toHaveLength(1)
      expect((await ledgerRows(env, client.id)).filter((r) => r.reason === 'purchase')).toHaveLength(1)
      // A new key is a new purchase.
      const second = await http.buy(client, { packageId: 'growth' })
      expect(second.json().balance).toBe(20)
    })

    it('refuses the same key for another package: 422 idempotency_key_reused', async () => {
      const client = await aClient(env.platform)
      await http.buy(client, { packageId: 'starter' }, 'buy-reuse')
      const res = await http.buy(client, { packageId: 'scale' }, 'buy-reuse')
      expect(res.statusCode).toBe(422)
      expect(res.json().error.code).toBe('idempotency_key_reused')
      expect((await http.get(client, '/credits')).json().balance).toBe(3)
    })

    it('answers a decline with 402 and stores the purchase as failed, without credits', async () => {
      const client = await aClient(env.platform, { credits: 1 })
      const res = await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_declined' }, 'buy-declined')
      expect(res.statusCode).toBe(402)
      expect(res.json().error.code).toBe('payment_required')
      expect(res.json().error.message).toMatch(/declined/)
      expect(res.json().error.details.purchase).toMatchObject({ status: 'failed', failureMessage: 'Your card was declined.' })
      const list = await http.get(client, '/credits/purchases')
      expect(list.json().purchases).toEqual([expect.objectContaining({ status: 'failed', packageId: 'starter' })])
      expect((await http.get(client, '/credits')).json().balance).toBe(1)
      const again = await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_declined' }, 'buy-declined')
      expect(again.statusCode).toBe(402)
      expect(again.body).toBe(res.body)
    })

    it('fails an unknown payment method as a decline', async () => {
      const client = await aClient(env.platform)
      const res = await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_nonsense' })
      expect(res.statusCode).toBe(402)
      expect(res.json().error.details.purchase.failureMessage).toMatch(/No such payment method/)
    })

    it('lets a retry run after a provider outage (5xx) and still makes one purchase', async () => {
      const client = await aClient(env.platform)
      payments.failNext = 1
      const down = await http.buy(client, { packageId: 'starter' }, 'buy-outage')
      expect(down.statusCode).toBe(502)
      expect(down.json().error.code).toBe('upstream_failed')
      const retry = await http.buy(client, { packageId: 'starter' }, 'buy-outage')
      expect(retry.statusCode).toBe(201)
      expect(retry.headers['idempotent-replayed']).toBeUndefined()
      expect(retry.json().balance).toBe(3)
      expect(await purchaseRows(env, client.id)).toEqual([{ id: retry.json().purchase.id, status: 'succeeded' }])
    })

    it('never credits a key twice, even after the key expired', async () => {
      const client = await aClient(env.platform)
      const first = await http.buy(client, { packageId: 'starter' }, 'buy-expired')
      env.clock.advance(DAY + 1000)
      const later = await http.buy(client, { packageId: 'starter' }, 'buy-expired')
      expect(later.statusCode).toBe(201)
      expect(later.headers['idempotent-replayed']).toBeUndefined()
      expect(later.json().purchase.id).toBe(first.json().purchase.id)
      expect(later.json().balance).toBe(3)
      expect((await ledgerRows(env, client.id)).filter((r) => r.reason === 'purchase')).toHaveLength(1)
    })
  })

  describe('pending payments and the webhook', () => {
    async function pendingPurchase(client: TestUser) {
      const res = await http.buy(client, { packageId: 'growth', paymentMethod: 'pm_card_authenticationRequired' })
      expect(res.statusCode).toBe(202)
      const body = res.json()
      expect(body.clientSecret).toMatch(/_secret_/)
      expect(body.purchase.status).toBe('pending')
      return body.purchase as { id: string; providerPaymentId: string }
    }
    const succeeded = (p: { id: string; providerPaymentId: string }, o: { eventId?: string; secret?: string; timestamp?: number } = {}) =>
      signedPaymentWebhook(
        o.secret ?? LOCAL_WEBHOOK_SECRET,
        { type: 'payment_intent.succeeded', paymentId: p.providerPaymentId, app: 'onedesigner', reference: p.id, eventId: o.eventId },
        o.timestamp,
      )

    it('answers 202 with a client secret and credits nothing until the webhook', async () => {
      const client = await aClient(env.platform)
      const purchase = await pendingPurchase(client)
      expect((await http.get(client, '/credits')).json().balance).toBe(0)
      const { payload, signature } = succeeded(purchase)
      const hook = await http.webhook(payload, signature)
      expect(hook.statusCode).toBe(200)
      expect(hook.json()).toEqual({ received: true, result: 'credited', purchaseId: purchase.id })
      expect((await http.get(client, '/credits')).json().balance).toBe(10)
      const one = await http.get(client, `/credits/purchases/${purchase.id}`)
      expect(one.json().purchase).toMatchObject({ status: 'succeeded', completedAt: env.clock.now().toISOString() })
    })

    it('credits once however often the webhook is delivered, also concurrently', async () => {
      const client = await aClient(env.platform)
      const purchase = await pendingPurchase(client)
      const { payload, signature } = succeeded(purchase)
      const results = await Promise.all([1, 2, 3].map(() => http.webhook(payload, signature)))
      expect(results.map((r) => r.json().result).sort()).toEqual(['already_settled', 'already_settled', 'credited'])
      const redelivered = succeeded(purchase, { eventId: 'evt_other_delivery' })
      expect((await http.webhook(redelivered.payload, redelivered.signature)).json().result).toBe('already_settled')
      expect((await http.get(client, '/credits')).json().balance).toBe(10)
      expect(await ledgerRows(env, client.id)).toEqual([{ delta: 10, reason: 'purchase', reference: purchase.id }])
    })

    it('finds the purchase by its reference when the webhook beats the charge answer', async () => {
      const client = await aClient(env.platform)
      const purchase = await pendingPurchase(client)
      await sql`update onedesigner.credit_purchases set provider_payment_id = null where id = ${purchase.id}`.execute(
        env.platform.db.kysely,
      )
      const { payload, signature } = succeeded(purchase)
      expect((await http.webhook(payload, signature)).json().result).toBe('credited')
      expect((await http.get(client, `/credits/purchases/${purchase.id}`)).json().purchase.providerPaymentId).toBe(
        purchase.providerPaymentId,
      )
    })

    it('marks a pending purchase failed on a failure event; a later success still credits once', async () => {
      const client = await aClient(env.platform)
      const purchase = await pendingPurchase(client)
      const failed = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
        type: 'payment_intent.payment_failed',
        paymentId: purchase.providerPaymentId,
        app: 'onedesigner',
        reference: purchase.id,
        failureMessage: 'Authentication failed',
      })
      expect((await http.webhook(failed.payload, failed.signature)).json().result).toBe('failed')
      const afterFail = await http.get(client, `/credits/purchases/${purchase.id}`)
      expect(afterFail.json().purchase).toMatchObject({ status: 'failed', failureMessage: 'Authentication failed' })
      const ok = succeeded(purchase)
      expect((await http.webhook(ok.payload, ok.signature)).json().result).toBe('credited')
      expect((await http.webhook(ok.payload, ok.signature)).json().result).toBe('already_settled')
      expect((await http.get(client, '/credits')).json().balance).toBe(10)
    })

    it('ignores events of other apps, other kinds and unknown payments', async () => {
      const otherApp = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, { type: 'payment_intent.succeeded', paymentId: 'pi_x', app: 'bandsy' })
      expect((await http.webhook(otherApp.payload, otherApp.signature)).json().result).toBe('ignored')
      const otherKind = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, { type: 'customer.created', paymentId: 'cus_x', app: 'onedesigner' })
      expect((await http.webhook(otherKind.payload, otherKind.signature)).json().result).toBe('ignored')
      const unknown = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
        type: 'payment_intent.succeeded',
        paymentId: 'pi_unknown',
        app: 'onedesigner',
        reference: randomUUID(),
      })
      expect((await http.webhook(unknown.payload, unknown.signature)).json().result).toBe('unknown_payment')
    })

    it('refuses forged, tampered, stale and unsigned webhooks with 401, and credits nothing', async () => {
      const client = await aClient(env.platform)
      const purchase = await pendingPurchase(client)
      const good = succeeded(purchase)
      const tampered = await http.webhook(good.payload.replace('"livemode":false', '"livemode":true'), good.signature)
      expect(tampered.statusCode).toBe(401)
      expect(tampered.json().error.code).toBe('unauthorized')
      const wrongSecret = succeeded(purchase, { secret: 'whsec_attacker' })
      expect((await http.webhook(wrongSecret.payload, wrongSecret.signature)).statusCode).toBe(401)
      const stale = succeeded(purchase, { timestamp: Math.floor(Date.now() / 1000) - 3600 })
      expect((await http.webhook(stale.payload, stale.signature)).statusCode).toBe(401)
      const unsigned = await http.webhook(good.payload)
      expect(unsigned.statusCode).toBe(401)
      expect(unsigned.json().error.message).toMatch(/stripe-signature/)
      expect((await http.webhook(good.payload, 'garbage')).statusCode).toBe(401)
      expect((await http.get(client, '/credits')).json().balance).toBe(0)
    })

    it('answers an empty or oddly typed webhook with 4xx JSON', async () => {
      const empty = await http.webhook('', 't=1,v1=abc')
      expect(empty.statusCode).toBe(400)
      expect(empty.json().error.code).toBe('bad_request')
      const text = await http.webhook('hello', 't=1,v1=abc', 'text/plain')
      expect(text.statusCode).toBe(401)
      const noType = await env.http.inject({ method: 'POST', url: `${BASE}/credits/webhook`, payload: Buffer.from('x') })
      expect(noType.statusCode).toBeGreaterThanOrEqual(400)
      expect(noType.statusCode).toBeLessThan(500)
    })
  })

  describe('balance, ledger and row-level security', () => {
    it('shows the balance with this client’s ledger entries, newest first, summing to the balance', async () => {
      const client = await aClient(env.platform, { credits: 1 })
      await http.buy(client, { packageId: 'starter' })
      await http.buy(client, { packageId: 'growth' })
      await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_declined' })
      const res = await http.get(client, '/credits')
      expect(res.statusCode).toBe(200)
      const { balance, entries } = res.json()
      expect(balance).toBe(14)
      expect(entries.map((e: { delta: number }) => e.delta)).toEqual([10, 3, 1])
      expect(entries[0]).toMatchObject({ reason: 'purchase', balanceAfter: 14 })
      expect(entries.reduce((s: number, e: { delta: number }) => s + e.delta, 0)).toBe(balance)
      expect((await http.get(client, '/credits?limit=1')).json().entries).toHaveLength(1)
    })

    it('keeps every client’s ledger sum equal to their balance', async () => {
      const { rows } = await sql<{ id: string; balance: number; ledger: number }>`
        select c.id, c.match_credits as balance,
               coalesce((select sum(delta) from platform.ledger_entries l
                         where l.app = 'onedesigner' and l.account_table = 'clients' and l.account_id = c.id), 0)::int as ledger
        from onedesigner.clients c`.execute(env.platform.db.kysely)
      expect(rows.length).toBeGreaterThan(5)
      for (const r of rows) expect(r.ledger, r.id).toBe(r.balance)
    })

    it('shows a client none of another client’s purchases or ledger entries', async () => {
      const alice = await aClient(env.platform)
      const bob = await aClient(env.platform, { credits: 4 })
      const bought = (await http.buy(alice, { packageId: 'starter' })).json().purchase
      expect((await http.get(bob, `/credits/purchases/${bought.id}`)).statusCode).toBe(404)
      expect((await http.get(bob, '/credits/purchases')).json().purchases).toEqual([])
      const bobCredits = (await http.get(bob, '/credits')).json()
      expect(bobCredits.balance).toBe(4)
      expect(bobCredits.entries.every((e: { reference: string | null }) => e.reference !== bought.id)).toBe(true)
      // Straight to the tables as Bob: RLS shows only his rows, and he cannot write Alice's.
      const claims = { sub: bob.id, role: 'client', app: 'onedesigner' }
      const seen = await withUser(env.platform.db.kysely, claims, async (tx) => {
        const purchases = await sql<{ n: number }>`select count(*)::int as n from onedesigner.credit_purchases`.execute(tx)
        const ledger = await sql<{
          n: number
        }>`select count(*)::int as n from platform.ledger_entries where account_id <> ${bob.id}`.execute(tx)
        return { purchases: purchases.rows[0].n, foreignLedger: ledger.rows[0].n }
      })
      expect(seen).toEqual({ purchases: 0, foreignLedger: 0 })
      await expect(
        withUser(env.platform.db.kysely, claims, (tx) =>
          sql`insert into onedesigner.credit_purchases (client_id, package_id, credits, amount_cents, currency, provider)
              values (${alice.id}, 'starter', 3, 2900, 'usd', 'local')`.execute(tx),
        ),
      ).rejects.toThrow(/row-level security/)
      const changed = await withUser(env.platform.db.kysely, claims, (tx) =>
        sql`update onedesigner.credit_purchases set status = 'refunded' where id = ${bought.id}`.execute(tx),
      )
      expect(Number(changed.numAffectedRows)).toBe(0)
    })
  })

  describe('bad input', () => {
    it('answers bad purchase requests with 4xx JSON naming the problem', async () => {
      const client = await aClient(env.platform)
      const cases: [unknown, string][] = [
        [{}, 'body.packageId'],
        [{ packageId: 42 }, 'body.packageId'],
        [{ packageId: '' }, 'body.packageId'],
        [{ packageId: 'x'.repeat(51) }, 'body.packageId'],
        [{ packageId: 'starter', paymentMethod: 'visa' }, 'body.paymentMethod'],
        [{ packageId: 'starter', paymentMethod: 7 }, 'body.paymentMethod'],
        [[], 'body'],
      ]
      for (const [body, field] of cases) {
        const res = await http.buy(client, body)
        expect(res.statusCode, JSON.stringify(body)).toBe(400)
        expect(res.json().error.message).toContain(field)
      }
      const noKey = await http.buy(client, { packageId: 'starter' }, null)
      expect(noKey.statusCode).toBe(400)
      expect(noKey.json().error.message).toMatch(/idempotency-key/i)
      const badJson = await env.http.inject({
        method: 'POST',
        url: `${BASE}/credits/purchases`,
        headers: { ...bearer(client), 'idempotency-key': 'k', 'content-type': 'application/json' },
        payload: '{"packageId":',
      })
      expect(badJson.statusCode).toBe(400)
      expect(badJson.json().error.code).toBe('invalid_json')
      const noToken = await env.http.inject({
        method: 'POST',
        url: `${BASE}/credits/purchases`,
        headers: { 'idempotency-key': 'k' },
        payload: { packageId: 'starter' },
      })
      expect(noToken.statusCode).toBe(401)
      const designer = await aDesigner(env.platform)
      expect((await http.buy(designer, { packageId: 'starter' })).statusCode).toBe(403)
      expect(await purchaseRows(env, client.id)).toEqual([])
    })

    it('answers bad queries and ids with 400', async () => {
      const client = await aClient(env.platform)
      for (const path of [
        '/credits?limit=0',
        '/credits?limit=abc',
        '/credits?limit=1000',
        '/credits/purchases?limit=-1',
        '/credits/purchases/not-a-uuid',
      ]) {
        const res = await http.get(client, path)
        expect(res.statusCode, path).toBe(400)
        expect(res.json().error.code).toBe('validation_failed')
      }
      expect((await http.get(client, `/credits/purchases/${randomUUID()}`)).statusCode).toBe(404)
      expect((await http.get(undefined, '/credits')).statusCode).toBe(401)
    })
  })
})

describe('OneDesigner credits with Stripe (the real SDK against a local stub of its API)', () => {
  let stub: StripeStub
  let env: TestEnv
  let http: ReturnType<typeof api>
  const secret = 'whsec_credits_test'
  beforeAll(async () => {
    stub = await startStripeStub()
    env = await createTestEnv({ config: { STRIPE_SECRET_KEY: 'sk_test_stub', STRIPE_WEBHOOK_SECRET: secret, STRIPE_API_BASE: stub.url } })
    http = api(env)
  })
  afterAll(async () => {
    await env.close()
    await stub.close()
  })

  it('buys with a card, declines with 402, and completes a confirmed payment through the webhook', async () => {
    const client = await aClient(env.platform)
    const paid = await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_visa' }, 'stripe-buy')
    expect(paid.statusCode).toBe(201)
    expect(paid.json().purchase).toMatchObject({
      provider: 'stripe',
      status: 'succeeded',
      providerPaymentId: expect.stringMatching(/^pi_stub_/),
    })
    expect(stub.requests.at(-1)!.idempotencyKey).toBe(`onedesigner:credit-purchase:${client.id}:stripe-buy`)
    expect(stub.requests.at(-1)!.form['metadata[reference]']).toBe(paid.json().purchase.id)

    const declined = await http.buy(client, { packageId: 'starter', paymentMethod: 'pm_card_declined' })
    expect(declined.statusCode).toBe(402)
    expect(declined.json().error.details.purchase).toMatchObject({ status: 'failed', failureMessage: 'Your card was declined.' })

    const pending = await http.buy(client, { packageId: 'growth' })
    expect(pending.statusCode).toBe(202)
    const { purchase, clientSecret } = pending.json()
    expect(clientSecret).toMatch(/_secret_stub$/)
    const { payload, signature } = signedPaymentWebhook(secret, {
      type: 'payment_intent.succeeded',
      paymentId: purchase.providerPaymentId,
      app: 'onedesigner',
      reference: purchase.id,
    })
    expect((await http.webhook(payload, signature)).json().result).toBe('credited')
    expect((await http.webhook(payload, signature)).json().result).toBe('already_settled')
    const forged = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
      type: 'payment_intent.succeeded',
      paymentId: purchase.providerPaymentId,
      app: 'onedesigner',
    })
    expect((await http.webhook(forged.payload, forged.signature)).statusCode).toBe(401)
    const account = (await http.get(client, '/credits')).json()
    expect(account.balance).toBe(13)
    expect(account.entries.map((e: { reference: string }) => e.reference)).toEqual([purchase.id, paid.json().purchase.id])
  })
})

// Real concurrency needs the Postgres server: PGlite is one session behind a pool of one
// connection, so parallel requests would simply queue and never race.
describeOnServer('OneDesigner credits under concurrent retries', () => {
  let env: TestEnv
  let payments: ReturnType<typeof countingProvider>
  let http: ReturnType<typeof api>
  beforeAll(async () => {
    ;({ env, payments } = await setup())
    http = api(env)
  })
  afterAll(() => env.close())

  it('50 concurrent retries of one purchase: one charge, one purchase, one ledger row; replays or 409s', async () => {
    const client = await aClient(env.platform)
    const key = randomUUID()
    // Spread over 400 ms, so some retries meet the first one running and some
    // come after it finished.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 8)).then(() => http.buy(client, { packageId: 'growth' }, key)),
      ),
    )
    const final = await http.buy(client, { packageId: 'growth' }, key)
    expect(final.statusCode).toBe(201)
    expect(final.headers['idempotent-replayed']).toBe('true')
    const created = answers.filter((a) => a.statusCode === 201)
    expect(created.length).toBeGreaterThanOrEqual(1)
    expect(created.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    for (const a of answers) {
      if (a.statusCode === 201) expect(a.body).toBe(final.body)
      else {
        expect(a.statusCode).toBe(409)
        expect(a.json().error.code).toBe('idempotency_in_progress')
      }
    }
    expect(payments.charges.filter((c) => c.accountId === client.id)).toHaveLength(1)
    expect(await purchaseRows(env, client.id)).toHaveLength(1)
    expect(await ledgerRows(env, client.id)).toHaveLength(1)
    expect(final.json().balance).toBe(10)
  })
})
