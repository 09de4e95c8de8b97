// Races that need transactions really running at the same time. PGlite is a single session (a
// pool of one connection runs every transaction one after the other), so nothing here can race
// on it: the suite runs on a Postgres server only and is skipped on PGlite.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'

const PAIRS = 100

describeOnServer('Bandsy likes under concurrency (server only)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ config: { DATABASE_POOL_MAX: '20' } })
  })
  afterAll(() => env?.close())

  const swipe = (from: Musician, to: Musician, type: string) =>
    env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, headers: bearer(from), payload: { toUserId: to.id, type } })

  it(`both like each other at the same instant, ${PAIRS} pairs: exactly one match and one conversation with 2 participants each`, async () => {
    for (let i = 0; i < PAIRS; i++) {
      const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
      const [ra, rb] = await Promise.all([swipe(a, b, 'like'), swipe(b, a, 'like')])
      expect([ra.statusCode, rb.statusCode]).toEqual([201, 201])
      // Exactly one of the two requests made the match; the other saw it, or came first and saw no like back.
      const made = [ra.json().match, rb.json().match].filter((m) => m?.created)
      expect(made).toHaveLength(1)
      const { rows } = await sql<{ matches: number; conversations: number; participants: number }>`
        select count(distinct m.id)::int as matches, count(distinct c.id)::int as conversations, count(cp.id)::int as participants
        from bandsy.matches m
        left join bandsy.conversations c on c.match_id = m.id
        left join bandsy.conversation_participants cp on cp.conversation_id = c.id
        where m.user1_id = least(${a.id}::uuid, ${b.id}::uuid) and m.user2_id = greatest(${a.id}::uuid, ${b.id}::uuid)`.execute(
        env.platform.db.kysely,
      )
      expect(rows[0]).toEqual({ matches: 1, conversations: 1, participants: 2 })
      expect(made[0].id).toBeDefined()
    }
  })

  it('20 simultaneous super likes from a free musician (1 a day): exactly one is sent', async () => {
    const me = await aMusician(env.platform)
    const targets = await Promise.all(Array.from({ length: 20 }, () => aMusician(env.platform)))
    const answers = await Promise.all(targets.map((t) => swipe(me, t, 'super_like')))
    const statuses = answers.map((r) => r.statusCode).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 429)).toHaveLength(19)
    const sent = await env.platform.db.kysely
      .selectFrom('bandsy.userInteractions')
      .select('id')
      .where('fromUserId', '=', me.id)
      .where('type', '=', 'super_like')
      .execute()
    expect(sent).toHaveLength(1)
  })

  it('a pass and a like on the same musician at once leave exactly one swipe', async () => {
    for (let i = 0; i < 20; i++) {
      const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
      const answers = await Promise.all([swipe(a, b, 'pass'), swipe(a, b, 'like'), swipe(a, b, 'like')])
      for (const r of answers) expect(r.statusCode).toBeLessThan(300)
      const rows = await env.platform.db.kysely
        .selectFrom('bandsy.userInteractions')
        .select('type')
        .where('fromUserId', '=', a.id)
        .where('toUserId', '=', b.id)
        .execute()
      expect(rows).toHaveLength(1)
    }
  })
})
