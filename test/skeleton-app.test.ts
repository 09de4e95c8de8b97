// The skeleton app (test/support/skeleton-app) end to end over HTTP, as its users meet it: it
// migrates, signs in by emailed code, guards its notes, sells a credit pack; and the generic proof
// suites (auth, fuzz, RLS matrix) cover it through its testing provider, with no edit of theirs.
import fs from 'node:fs'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { testConfig } from '../src/platform/config'
import { LOCAL_WEBHOOK_SECRET, signedPaymentWebhook } from '../src/platform/ledger/payments'
import { migrateDown, migrateUp, migrationStatus } from '../src/platform/migrate/migrator'
import { migrationSources } from '../src/server'
import { ALL_APPS } from '../src/apps'
import { createTestEnv, freshDatabase, type TestEnv } from './support/test-env'
import { TEST_APPS } from './support/test-apps'
import { skeleton } from './support/skeleton-app'
import { SKELETON_TYPES_PATH, skeletonTypes } from './support/skeleton-app/db-types'
import { testingOf } from './support/app-registry'
import { buildWorld, tableSpecs } from './support/rls-world'
import { operationsOf } from './support/fuzz-openapi'
import { codeIn, uniqueEmail, waitForMail } from './support/otp-mail'

const BASE = '/v1/skeleton'

describe('the skeleton app', () => {
  let env: TestEnv
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, o: { token?: string; body?: object; key?: string } = {}) =>
    env.http.inject({
      method,
      url: `${BASE}${url}`,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.key ? { 'idempotency-key': o.key } : {}) },
      payload: o.body,
    })
  async function signIn(email: string) {
    expect((await call('POST', '/auth/otp', { body: { email } })).statusCode).toBe(202)
    const code = codeIn((await waitForMail(env, email, 1))[0]!.text)
    const res = await call('POST', '/auth/otp/verify', { body: { email, code } })
    expect(res.statusCode).toBe(200)
    return res.json() as { accessToken: string; user: { id: string; email: string; role: string } }
  }

  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env?.close())

  it('is registered for tests only: migrated in the template, absent from production and the API document', async () => {
    expect(TEST_APPS.map((a) => a.name)).toContain('skeleton')
    expect(ALL_APPS.map((a) => a.name)).not.toContain('skeleton')
    const status = await migrationStatus(env.platform.db.kysely, migrationSources([skeleton]))
    expect(status.filter((m) => m.app === 'skeleton').map((m) => [m.version, !!m.appliedAt])).toEqual([['0001', true]])
    const doc = fs.readFileSync('docs/openapi.json', 'utf8')
    expect(doc).not.toContain('/v1/skeleton')
    expect(fs.readFileSync('src/platform/db/schema.generated.ts', 'utf8')).not.toContain('"skeleton.')
  })

  it('migrates up, down and up again on an empty database', async () => {
    const { db, drop } = await freshDatabase(testConfig(), false)
    try {
      const sources = migrationSources([skeleton])
      await migrateUp(db.kysely, sources)
      await migrateDown(db.kysely, sources, 1)
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = 'skeleton'`.execute(db.kysely)
      expect(rows[0]!.n).toBe(0)
      expect((await migrateUp(db.kysely, sources)).map((m) => `${m.app}/${m.version}`)).toEqual(['skeleton/0001'])
    } finally {
      await drop()
    }
  })

  it('types its queries with its own generated tables (run: npx tsx test/support/skeleton-app/db-types.ts)', async () => {
    expect(fs.readFileSync(SKELETON_TYPES_PATH, 'utf8')).toBe(await skeletonTypes())
  })

  it('signs in by emailed code; the first code makes the account', async () => {
    const email = uniqueEmail('skel')
    const session = await signIn(email)
    expect(session.user).toMatchObject({ email, role: 'member' })
    expect(await env.platform.tokens.verify(session.accessToken, 'skeleton')).toMatchObject({ sub: session.user.id, role: 'member' })
  })

  it('guards the notes: 401 without or with another app’s token, 403 for another role, 200 own, 404 another’s', async () => {
    const alice = await signIn(uniqueEmail('alice'))
    const bob = await signIn(uniqueEmail('bob'))
    const note = await call('POST', '/notes', { token: alice.accessToken, body: { body: 'buy milk' } })
    expect(note.statusCode).toBe(201)
    const id = note.json().id as string

    expect((await call('GET', '/notes')).statusCode).toBe(401)
    const [bandsy] = await testingOf([{ name: 'bandsy' }])
    const musician = await bandsy!.user(env.platform, 'musician')
    expect((await call('GET', '/notes', { token: musician.token })).statusCode).toBe(401)
    const guest = await env.platform.tokens.sign({ sub: alice.user.id, role: 'guest', app: 'skeleton' })
    const wrongRole = await call('GET', '/notes', { token: guest })
    expect([wrongRole.statusCode, wrongRole.json().error.code]).toEqual([403, 'forbidden'])

    expect((await call('GET', `/notes/${id}`, { token: alice.accessToken })).json()).toMatchObject({ id, body: 'buy milk' })
    expect((await call('GET', '/notes', { token: alice.accessToken })).json().notes.map((n: { id: string }) => n.id)).toEqual([id])
    expect((await call('GET', '/notes', { token: bob.accessToken })).json().notes).toEqual([])
    expect((await call('GET', `/notes/${id}`, { token: bob.accessToken })).statusCode).toBe(404)
    expect((await call('DELETE', `/notes/${id}`, { token: bob.accessToken })).statusCode).toBe(404)
    expect((await call('GET', '/notes/not-a-uuid', { token: alice.accessToken })).statusCode).toBe(400)
    expect((await call('DELETE', `/notes/${id}`, { token: alice.accessToken })).statusCode).toBe(204)
    // Found by the fuzzer: a token that outlives its account writes nothing and gets a documented 404.
    const ghost = await env.platform.tokens.sign({ sub: randomUUID(), role: 'member', app: 'skeleton' })
    expect((await call('POST', '/notes', { token: ghost, body: { body: 'x' } })).statusCode).toBe(404)
    expect((await call('GET', `/notes/${id}`, { token: alice.accessToken })).statusCode).toBe(404)
  })

  it('sells a credit pack: Idempotency-Key required, 201 with the credits, a replay, a notification', async () => {
    const buyer = await signIn(uniqueEmail('buyer'))
    expect((await call('POST', '/credits/purchases', { token: buyer.accessToken, body: {} })).statusCode).toBe(400)
    const key = randomUUID()
    const first = await call('POST', '/credits/purchases', { token: buyer.accessToken, body: {}, key })
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({ credits: 10, purchase: { status: 'succeeded', credits: 10, amountCents: 500 } })
    const replay = await call('POST', '/credits/purchases', { token: buyer.accessToken, body: {}, key })
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', first.body])
    const again = await call('POST', '/credits/purchases', { token: buyer.accessToken, body: {}, key: randomUUID() })
    expect(again.json().credits).toBe(20)
    const { rows } = await sql<{ title: string }>`select title from skeleton.notifications where user_id = ${buyer.user.id}`.execute(
      env.platform.db.kysely,
    )
    expect(rows.map((r) => r.title)).toEqual(['10 credits added', '10 credits added'])
  })

  it('settles a pending purchase by the payment webhook, once', async () => {
    const buyer = await signIn(uniqueEmail('pending'))
    const res = await call('POST', '/credits/purchases', {
      token: buyer.accessToken,
      body: { paymentMethod: 'pm_card_authenticationRequired' },
      key: randomUUID(),
    })
    expect(res.statusCode).toBe(202)
    const purchase = res.json().purchase as { id: string; providerPaymentId: string }
    const event = signedPaymentWebhook(LOCAL_WEBHOOK_SECRET, {
      type: 'payment_intent.succeeded',
      paymentId: purchase.providerPaymentId,
      app: 'skeleton',
      reference: purchase.id,
    })
    const deliver = () =>
      env.http.inject({
        method: 'POST',
        url: `${BASE}/payments/webhook`,
        headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
        payload: event.payload,
      })
    expect((await deliver()).json()).toEqual({ received: true, result: 'credited', purchaseId: purchase.id })
    expect((await deliver()).json().result).toBe('already_settled')
    const { rows } = await sql<{ credits: number }>`select credits from skeleton.users where id = ${buyer.user.id}`.execute(
      env.platform.db.kysely,
    )
    expect(rows[0]!.credits).toBe(10)
  })

  it('is covered by the generic proof suites through its testing provider', async () => {
    const providers = await testingOf()
    const provider = providers.find((t) => t.name === 'skeleton')!
    expect(provider.otp).not.toBeNull()

    // RLS matrix: its tables are all described, and its rows are tried by every user of every app.
    const specs = tableSpecs(env.platform, providers)
    const { rows } = await sql<{ name: string }>`
      select 'skeleton.' || relname as name from pg_class where relnamespace = 'skeleton'::regnamespace and relkind = 'r' order by 1`.execute(
      env.platform.db.kysely,
    )
    expect(
      Object.keys(specs)
        .filter((t) => t.startsWith('skeleton.'))
        .sort(),
    ).toEqual(rows.map((r) => r.name))
    const world = await buildWorld(env.platform, 'count', providers)
    const actors = [...world.apps.values()].flatMap((a) => a.actors).length
    let rlsCases = 0
    for (const t of rows.map((r) => r.name)) for (const s of specs[t]!.sets(world)) rlsCases += 4 * (actors - s.parties.length)
    // Fuzzer and auth suite: the skeleton's routes are in the document they walk; the guarded ones get every bad token.
    const ops = operationsOf(env.http.swagger() as never).filter((o) => o.path.startsWith(BASE))
    const guarded = ops.filter((o) => o.secured)
    console.log(
      `skeleton coverage: RLS matrix ${rlsCases} cases per world over ${rows.length} tables; fuzzer ${ops.length} routes; auth ${guarded.length} guarded routes`,
    )
    expect(rlsCases).toBeGreaterThan(0)
    expect(ops.length).toBeGreaterThanOrEqual(7)
    expect(guarded.length).toBeGreaterThan(0)
  })
})
