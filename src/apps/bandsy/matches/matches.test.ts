import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMatch, aMusician, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'
import { withUser } from '../../../platform'

describe('Bandsy matches over HTTP', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const get = (m: Musician, url: string) => env.http.inject({ method: 'GET', url: `${BANDSY}${url}`, headers: bearer(m) })
  const post = (m: Musician, url: string) => env.http.inject({ method: 'POST', url: `${BANDSY}${url}`, headers: bearer(m) })
  const like = (from: Musician, to: Musician) =>
    env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, headers: bearer(from), payload: { toUserId: to.id, type: 'like' } })
  const canPost = (m: Musician, conversationId: string) =>
    withUser(env.platform.db.kysely, { sub: m.id, role: 'musician', app: 'bandsy' }, async (tx) => {
      const { rows } = await sql<{ ok: boolean }>`select bandsy.can_post(${conversationId}::uuid) as ok`.execute(tx)
      return rows[0].ok
    })

  it("lists a match made over HTTP with the other musician's public card, score, factors and conversation — never coordinates", async () => {
    const a = await aMusician(env.platform)
    const b = await aMusician(env.platform, {
      displayName: 'Bea Bass',
      age: 41,
      showAge: false,
      instruments: [{ name: 'Bass Guitar', skill: 'advanced' }],
    })
    await like(a, b)
    const made = (await like(b, a)).json().match
    const r = await get(a, '/matches')
    expect(r.statusCode).toBe(200)
    const [m] = r.json().matches
    expect(m).toMatchObject({ id: made.id, status: 'active', conversationId: made.conversationId, score: made.score })
    expect(m.factors.length).toBeGreaterThan(0)
    expect(m.factors[0]).toEqual(
      expect.objectContaining({ name: expect.any(String), weight: expect.any(Number), reason: expect.any(String) }),
    )
    expect(m.musician).toMatchObject({
      id: b.id,
      displayName: 'Bea Bass',
      age: null,
      instruments: [{ name: 'Bass Guitar', skillLevel: 'advanced', isPrimary: true }],
      genres: ['Rock'],
    })
    const text = JSON.stringify(r.json())
    for (const secret of ['latitude', 'longitude', 'lat', 'lng', 'email', '52.52', b.email]) expect(text).not.toContain(secret)
    expect((await get(b, '/matches')).json().matches[0].musician.id).toBe(a.id)
    expect((await get(a, `/matches/${made.id}`)).json().match).toMatchObject({ id: made.id, musician: { id: b.id } })
  })

  it('GET /matches/:id is a 404 for someone who is not in the match', async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId } = await aMatch(env.platform, a, b)
    expect((await get(c, `/matches/${matchId}`)).statusCode).toBe(404)
    expect((await post(c, `/matches/${matchId}/unmatch`)).statusCode).toBe(404)
    expect((await get(c, `/matches/not-a-uuid`)).statusCode).toBe(400)
  })

  it('unmatch ends the match, is idempotent, and turns can_post false for both', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId, conversationId } = await aMatch(env.platform, a, b)
    expect(await canPost(a, conversationId)).toBe(true)
    const r = await post(a, `/matches/${matchId}/unmatch`)
    expect(r.statusCode).toBe(200)
    expect(r.json().match.status).toBe('unmatched')
    expect((await post(b, `/matches/${matchId}/unmatch`)).json().match.status).toBe('unmatched')
    expect(await canPost(a, conversationId)).toBe(false)
    expect(await canPost(b, conversationId)).toBe(false)
    // Active matches only by default; status=all shows it.
    expect((await get(a, '/matches')).json().matches.map((m: { id: string }) => m.id)).not.toContain(matchId)
    expect((await get(a, '/matches?status=all')).json().matches.map((m: { id: string }) => m.id)).toContain(matchId)
  })

  it('a blocked match stays blocked when unmatched, and can_post is false after a block', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId, conversationId } = await aMatch(env.platform, a, b)
    await env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, headers: bearer(b), payload: { toUserId: a.id, type: 'block' } })
    expect(await canPost(a, conversationId)).toBe(false)
    expect(await canPost(b, conversationId)).toBe(false)
    expect((await post(a, `/matches/${matchId}/unmatch`)).json().match.status).toBe('blocked')
  })

  it('hides a match whose other musician was soft-deleted', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId } = await aMatch(env.platform, a, b)
    await env.platform.db.kysely.updateTable('bandsy.users').set({ deletedAt: env.clock.now() }).where('id', '=', b.id).execute()
    expect((await get(a, '/matches?status=all')).json().matches).toEqual([])
    expect((await get(a, `/matches/${matchId}`)).statusCode).toBe(404)
  })

  it('pages by createdAt then id with a cursor, newest first', async () => {
    const me = await aMusician(env.platform)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push((await aMatch(env.platform, me, await aMusician(env.platform))).matchId)
      env.clock.advance(1000)
    }
    // Two matches made at the same instant still page apart, by id.
    await env.platform.db.kysely
      .updateTable('bandsy.matches')
      .set({ createdAt: new Date('2030-01-01T00:00:00Z') })
      .where('id', 'in', ids.slice(3))
      .execute()
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { matches: { id: string }[]; nextCursor: string | null } = (
        await get(me, `/matches?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()
      expect(page.matches.length).toBeLessThanOrEqual(2)
      seen.push(...page.matches.map((m) => m.id))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen.sort()).toEqual([...ids].sort())
    const rows = await env.platform.db.kysely
      .selectFrom('bandsy.matches')
      .select('id')
      .where('id', 'in', ids)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .execute()
    const firstTwo = (await get(me, '/matches?limit=2')).json().matches.map((m: { id: string }) => m.id)
    expect(firstTwo).toEqual(rows.slice(0, 2).map((r) => r.id))
    const other = await aMusician(env.platform)
    const bad = await get(other, `/matches?cursor=${ids[0]}`)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.details).toEqual({ field: 'query.cursor' })
  })
})
