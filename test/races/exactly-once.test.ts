// OneDesigner's "exactly once" rules under real concurrency, through the HTTP API on a listening
// server (one socket per request) and the real connection pool:
//   (a) one credit, 200 simultaneous unlocks of 200 different designers: one unlock, 199 refusals;
//   (b) the same designer unlocked 200 times at once: charged once;
//   (c) one purchase retried 50 times at once with the same Idempotency-Key: one charge.
// Server only: PGlite is a single session (a pool of one connection runs every transaction one
// after the other), so nothing is concurrent there and these races cannot even happen.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../support/test-env'
import { aBrief, aClient, bearer } from '../support/onedesigner'
import { purchaseCredits } from '../../src/apps/onedesigner/credits/service'
import { books, fireAll, listen, manyDesigners, matchesFor, tally, type Answer } from '../support/races-http'

const API = '/v1/onedesigner'
const UNLOCK_ROUNDS = 20
const UNLOCK_ATTEMPTS = 200
const SAME_DESIGNER_ROUNDS = 5
const PURCHASE_ROUNDS = 20
const PURCHASE_RETRIES = 50

const fmt = (t: Record<number, number>) =>
  Object.entries(t)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ')
const fiveXX = (answers: Answer[]) => answers.filter((a) => a.status >= 500).map((a) => `${a.status} ${a.body}`)

describeOnServer('exactly once under concurrency (server only)', () => {
  let env: TestEnv
  let base: string
  let designers: string[]
  // Per rule: every answer's status, summed over its rounds (printed at the end for docs/reliability.md).
  const totals: Record<string, Record<number, number>> = {}
  const count = (rule: string, answers: Answer[]) => {
    const t = (totals[rule] ??= {})
    for (const a of answers) t[a.status] = (t[a.status] ?? 0) + 1
  }

  beforeAll(async () => {
    // Enough connections that 200 requests contend on the client's row, not on the pool.
    env = await createTestEnv({ config: { DATABASE_POOL_MAX: '30', USER_RATE_LIMIT_FACTOR: '0' } })
    base = (await listen(env)) + API
    designers = await manyDesigners(env.platform, UNLOCK_ATTEMPTS, randomUUID().slice(0, 8))
  })
  afterAll(async () => {
    for (const [rule, t] of Object.entries(totals)) {
      const n = (f: (s: number) => boolean) =>
        Object.entries(t)
          .filter(([s]) => f(Number(s)))
          .reduce((a, [, v]) => a + v, 0)
      console.log(
        `races ${rule}: ${n(() => true)} requests: ${fmt(t)} (2xx ${n((s) => s < 300)}, 4xx ${n((s) => s >= 400 && s < 500)}, 5xx ${n((s) => s >= 500)})`,
      )
    }
    await env?.close()
  })

  it(`(a) 1 credit, ${UNLOCK_ATTEMPTS} simultaneous unlocks of different designers, ${UNLOCK_ROUNDS} rounds: exactly one unlock each`, async () => {
    for (let round = 1; round <= UNLOCK_ROUNDS; round++) {
      const client = await aClient(env.platform, { credits: 1 })
      const brief = await aBrief(env.platform, client)
      const matches = await matchesFor(env.platform, client.id, brief.id, designers)
      const answers = await fireAll(
        matches.map((id) => ({
          method: 'POST',
          url: `${base}/matches/${id}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        })),
      )
      count('(a)', answers)
      const t = tally(answers)
      const b = await books(env.platform, client.id)
      console.log(`(a) round ${round}: ${fmt(t)}; balance ${b.balance}, ledger sum ${b.ledgerSum}, unlock rows ${b.unlockRows}`)
      expect(fiveXX(answers)).toEqual([])
      expect(t).toEqual({ 201: 1, 402: UNLOCK_ATTEMPTS - 1 })
      for (const a of answers.filter((x) => x.status === 402)) expect(a.json().error.code).toBe('insufficient_credits')
      expect(answers.find((a) => a.status === 201)!.json()).toMatchObject({ balance: 0, charged: 1 })
      expect(b).toMatchObject({ balance: 0, ledgerSum: 0, unlockRows: 1 })
      expect(b.lowest).toBeGreaterThanOrEqual(0)
      const unlocks = await env.platform.db.kysely
        .selectFrom('onedesigner.clientDesigners')
        .select('designerId')
        .where('clientId', '=', client.id)
        .execute()
      expect(unlocks).toHaveLength(1)
    }
    // 4,000 requests: about 35 s alone on two cores, over 60 s beside the rest of the suite.
  }, 180_000)

  it(`(b) the same designer unlocked ${UNLOCK_ATTEMPTS} times at once, ${SAME_DESIGNER_ROUNDS} rounds: charged once`, async () => {
    for (let round = 1; round <= SAME_DESIGNER_ROUNDS; round++) {
      const client = await aClient(env.platform, { credits: 5 })
      const brief = await aBrief(env.platform, client)
      const [match] = await matchesFor(env.platform, client.id, brief.id, [designers[round]])
      const answers = await fireAll(
        Array.from({ length: UNLOCK_ATTEMPTS }, () => ({
          method: 'POST' as const,
          url: `${base}/matches/${match}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        })),
      )
      count('(b)', answers)
      const t = tally(answers)
      const b = await books(env.platform, client.id)
      console.log(`(b) round ${round}: ${fmt(t)}; balance ${b.balance}, ledger sum ${b.ledgerSum}, unlock rows ${b.unlockRows}`)
      expect(fiveXX(answers)).toEqual([])
      expect(t).toEqual({ 201: 1, 200: UNLOCK_ATTEMPTS - 1 })
      for (const a of answers) expect(a.json()).toMatchObject({ balance: 4, unlock: { designerId: designers[round] } })
      expect(answers.filter((a) => a.json().charged === 1)).toHaveLength(1)
      expect(b).toMatchObject({ balance: 4, ledgerSum: 4, unlockRows: 1 })
    }
  })

  it(`(b') the same designer through 20 matches (20 briefs), 10 unlocks each at once: charged once`, async () => {
    const client = await aClient(env.platform, { credits: 5 })
    const matches: string[] = []
    for (let i = 0; i < 20; i++)
      matches.push(...(await matchesFor(env.platform, client.id, (await aBrief(env.platform, client)).id, [designers[0]])))
    const answers = await fireAll(
      matches.flatMap((id) =>
        Array.from({ length: 10 }, () => ({
          method: 'POST' as const,
          url: `${base}/matches/${id}/unlock`,
          headers: { ...bearer(client), 'idempotency-key': randomUUID() },
        })),
      ),
    )
    count("(b')", answers)
    const t = tally(answers)
    const b = await books(env.platform, client.id)
    console.log(`(b') ${fmt(t)}; balance ${b.balance}, ledger sum ${b.ledgerSum}, unlock rows ${b.unlockRows}`)
    expect(fiveXX(answers)).toEqual([])
    expect(t).toEqual({ 201: 1, 200: 199 })
    expect(b).toMatchObject({ balance: 4, ledgerSum: 4, unlockRows: 1 })
  })

  it(`(c) one purchase retried ${PURCHASE_RETRIES} times at once with the same Idempotency-Key, ${PURCHASE_ROUNDS} rounds: one charge`, async () => {
    for (let round = 1; round <= PURCHASE_ROUNDS; round++) {
      const client = await aClient(env.platform)
      const key = randomUUID()
      const request = {
        method: 'POST' as const,
        url: `${base}/credits/purchases`,
        headers: { ...bearer(client), 'idempotency-key': key },
        body: { packageId: 'starter' },
      }
      const answers = await fireAll(Array.from({ length: PURCHASE_RETRIES }, () => request))
      count('(c)', answers)
      const t = tally(answers)
      const firsts = answers.filter((a) => a.status === 201 && !a.replayed)
      const replays = answers.filter((a) => a.status === 201 && a.replayed)
      const busy = answers.filter((a) => a.status === 409)
      // After the storm, one more retry must replay the very first answer.
      const [late] = await fireAll([request])
      const b = await books(env.platform, client.id)
      const purchases = await env.platform.db.kysely
        .selectFrom('onedesigner.creditPurchases')
        .select(['id', 'status'])
        .where('clientId', '=', client.id)
        .execute()
      console.log(
        `(c) round ${round}: ${fmt(t)} (first ${firsts.length}, replays ${replays.length}, in progress ${busy.length}); ` +
          `purchases ${purchases.length}, balance ${b.balance}, ledger sum ${b.ledgerSum}`,
      )
      expect(fiveXX(answers)).toEqual([])
      expect(firsts).toHaveLength(1)
      expect(replays.length + busy.length).toBe(PURCHASE_RETRIES - 1)
      for (const r of replays) expect(r.body).toBe(firsts[0].body)
      for (const r of busy) expect(r.json().error.code).toBe('idempotency_in_progress')
      expect(late).toMatchObject({ status: 201, replayed: true, body: firsts[0].body })
      expect(firsts[0].json()).toMatchObject({ balance: 3, purchase: { status: 'succeeded', credits: 3 } })
      expect(purchases).toEqual([{ id: firsts[0].json().purchase.id, status: 'succeeded' }])
      expect(b).toMatchObject({ balance: 3, ledgerSum: 3, purchaseRows: 1, unlockRows: 0 })
    }
  })

  // Below the key layer: the Idempotency-Key claim lets one request through at a time, but a claim
  // whose process died is taken over after its lease, so the purchase service itself must be safe
  // to run many times at once for one key (deterministic purchase id, credit guarded by status).
  it(`(c') the purchase service run ${PURCHASE_RETRIES} times at once for one key, 5 rounds: one purchase, one credit`, async () => {
    for (let round = 1; round <= 5; round++) {
      const client = await aClient(env.platform)
      const claims = { sub: client.id, role: 'client', app: 'onedesigner' }
      const key = randomUUID()
      const results = await Promise.allSettled(
        Array.from({ length: PURCHASE_RETRIES }, () =>
          purchaseCredits(env.platform, claims, { packageId: 'starter', idempotencyKey: key }),
        ),
      )
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))
      const outcomes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const b = await books(env.platform, client.id)
      const purchases = await env.platform.db.kysely
        .selectFrom('onedesigner.creditPurchases')
        .select(['id', 'status'])
        .where('clientId', '=', client.id)
        .execute()
      console.log(
        `(c') round ${round}: ${outcomes.length} succeeded, ${failed.length} failed; purchases ${purchases.length}, balance ${b.balance}, ledger sum ${b.ledgerSum}`,
      )
      expect(failed).toEqual([])
      for (const o of outcomes) expect(o).toMatchObject({ status: 'succeeded', balance: 3, purchase: { id: purchases[0].id } })
      expect(purchases).toHaveLength(1)
      expect(b).toMatchObject({ balance: 3, ledgerSum: 3, purchaseRows: 1 })
    }
  })
})
