// Bandsy's "one match per mutual like" rule under real concurrency, through the HTTP API on a
// listening server (one socket per request) and the real connection pool:
//   (a) 100 fresh pairs, both sides of every pair liking at the same instant: 200 likes per round;
//   (b) one musician liking 100 others who all like back at the same instant: 200 likes per round.
// Exactly one match and one conversation with its two participants must exist per pair, and no
// request may fail with a 5xx. Server only: PGlite is a single session (a pool of one connection
// runs every transaction one after the other), so nothing is concurrent there.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../support/test-env'
import { bearer, type Musician } from '../support/bandsy'
import { manyMusicians, pairBooks } from '../support/bandsy-matches'
import { fireAll, listen, tally, type Answer } from '../support/races-http'

const API = '/v1/bandsy'
const PAIR_ROUNDS = 20
const PAIRS = 100
const STAR_ROUNDS = 5
const FANS = 100

const fmt = (t: Record<number, number>) =>
  Object.entries(t)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ')
const fiveXX = (answers: Answer[]) => answers.filter((a) => a.status >= 500).map((a) => `${a.status} ${a.body}`)
const madeMatches = (answers: Answer[]) => answers.filter((a) => a.status < 300 && a.json().match?.created).length

describeOnServer('Bandsy mutual likes under concurrency (server only)', () => {
  let env: TestEnv
  let base: string
  // Per rule: every answer's status and the matches created, summed over its rounds.
  const totals: Record<string, { statuses: Record<number, number>; created: number }> = {}
  const count = (rule: string, answers: Answer[]) => {
    const t = (totals[rule] ??= { statuses: {}, created: 0 })
    for (const a of answers) t.statuses[a.status] = (t.statuses[a.status] ?? 0) + 1
    t.created += madeMatches(answers)
  }
  const like = (from: Musician, to: Musician) => ({
    method: 'POST' as const,
    url: `${base}/interactions`,
    headers: bearer(from),
    body: { toUserId: to.id, type: 'like' },
  })

  beforeAll(async () => {
    // Enough connections that the requests contend on each pair's lock rather than queue for the
    // pool (a request waiting over 5 s for a connection is a 503).
    env = await createTestEnv({ config: { DATABASE_POOL_MAX: '50' } })
    base = (await listen(env)) + API
  })
  afterAll(async () => {
    for (const [rule, { statuses: t, created }] of Object.entries(totals)) {
      const n = (f: (s: number) => boolean) =>
        Object.entries(t)
          .filter(([s]) => f(Number(s)))
          .reduce((a, [, v]) => a + v, 0)
      console.log(
        `races bandsy ${rule}: ${n(() => true)} requests: ${fmt(t)} (2xx ${n((s) => s < 300)}, 4xx ${n((s) => s >= 400 && s < 500)}, 5xx ${n((s) => s >= 500)}); matches created ${created}`,
      )
    }
    await env?.close()
  })

  it(`(a) ${PAIRS} pairs liking each other at once (${PAIRS * 2} likes), ${PAIR_ROUNDS} rounds: one match and one conversation per pair`, async () => {
    for (let round = 1; round <= PAIR_ROUNDS; round++) {
      const people = await manyMusicians(env.platform, PAIRS * 2, randomUUID().slice(0, 8))
      const pairs = Array.from({ length: PAIRS }, (_, i) => [people[2 * i], people[2 * i + 1]] as [Musician, Musician])
      const started = Date.now()
      const answers = await fireAll(pairs.flatMap(([a, b]) => [like(a, b), like(b, a)]))
      const ms = Date.now() - started
      count('(a)', answers)
      const books = await pairBooks(env.platform, pairs)
      const wrong = books.filter((b) => b.matches !== 1 || b.conversations !== 1 || b.participants !== 2)
      console.log(
        `(a) round ${round}: ${fmt(tally(answers))} in ${ms} ms; matches created ${madeMatches(answers)}; pairs not exactly once ${wrong.length}`,
      )
      expect(fiveXX(answers)).toEqual([])
      expect(tally(answers)).toEqual({ 201: PAIRS * 2 })
      expect(madeMatches(answers)).toBe(PAIRS)
      expect(wrong).toEqual([])
    }
  }, 180_000)

  it(`(b) one musician and ${FANS} fans liking each other at once (${FANS * 2} likes), ${STAR_ROUNDS} rounds: one match per fan`, async () => {
    for (let round = 1; round <= STAR_ROUNDS; round++) {
      const [star, ...fans] = await manyMusicians(env.platform, FANS + 1, randomUUID().slice(0, 8))
      const started = Date.now()
      const answers = await fireAll(fans.flatMap((f) => [like(star, f), like(f, star)]))
      const ms = Date.now() - started
      count('(b)', answers)
      const books = await pairBooks(
        env.platform,
        fans.map((f) => [star, f] as [Musician, Musician]),
      )
      const wrong = books.filter((b) => b.matches !== 1 || b.conversations !== 1 || b.participants !== 2)
      console.log(
        `(b) round ${round}: ${fmt(tally(answers))} in ${ms} ms; matches created ${madeMatches(answers)}; pairs not exactly once ${wrong.length}`,
      )
      expect(fiveXX(answers)).toEqual([])
      expect(tally(answers)).toEqual({ 201: FANS * 2 })
      expect(madeMatches(answers)).toBe(FANS)
      expect(wrong).toEqual([])
    }
  }, 180_000)
})
