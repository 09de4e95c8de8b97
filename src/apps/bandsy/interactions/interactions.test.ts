import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMatch, aMusician, anInteraction, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'

describe('Bandsy interactions over HTTP', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const swipe = (from: Musician, to: { id: string }, type: string, extra: Record<string, unknown> = {}) =>
    env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, headers: bearer(from), payload: { toUserId: to.id, type, ...extra } })
  const rowsOf = (from: Musician, to: Musician) =>
    env.platform.db.kysely
      .selectFrom('bandsy.userInteractions')
      .select(['type', 'context'])
      .where('fromUserId', '=', from.id)
      .where('toUserId', '=', to.id)
      .orderBy('type')
      .execute()

  it('records a like (201, context discovery by default) and answers 200 with the same row when repeated', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const first = await swipe(a, b, 'like')
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({
      interaction: { fromUserId: a.id, toUserId: b.id, type: 'like', context: 'discovery' },
      match: null,
    })
    const again = await swipe(a, b, 'like', { context: 'search' })
    expect(again.statusCode).toBe(200)
    expect(again.json().interaction.id).toBe(first.json().interaction.id)
    expect(await rowsOf(a, b)).toEqual([{ type: 'like', context: 'discovery' }])
  })

  it('keeps the context the client names', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    expect((await swipe(a, b, 'pass', { context: 'recommendation' })).json().interaction.context).toBe('recommendation')
  })

  it('replaces an earlier different swipe: pass then like leaves only the like', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    expect((await swipe(a, b, 'pass')).statusCode).toBe(201)
    expect((await swipe(a, b, 'like')).statusCode).toBe(201)
    expect(await rowsOf(a, b)).toEqual([{ type: 'like', context: 'discovery' }])
    expect((await swipe(a, b, 'super_like')).statusCode).toBe(201)
    expect((await rowsOf(a, b)).map((r) => r.type)).toEqual(['super_like'])
  })

  it('refuses yourself with 422 naming toUserId', async () => {
    const a = await aMusician(env.platform)
    const r = await swipe(a, a, 'like')
    expect(r.statusCode).toBe(422)
    expect(r.json().error.details).toEqual({ field: 'body.toUserId' })
    expect(r.json().error.message).toContain('toUserId')
  })

  it('answers 404 for a musician who does not exist or was deleted', async () => {
    const a = await aMusician(env.platform)
    const gone = await aMusician(env.platform, { deleted: true })
    expect((await swipe(a, { id: '00000000-0000-4000-8000-000000000000' }, 'like')).statusCode).toBe(404)
    for (const type of ['like', 'pass', 'super_like', 'block']) expect((await swipe(a, gone, type)).statusCode).toBe(404)
  })

  it('refuses a deleted account whose token is still alive (403)', async () => {
    const [gone, b] = [await aMusician(env.platform, { deleted: true }), await aMusician(env.platform)]
    const r = await swipe(gone, b, 'like')
    expect(r.statusCode).toBe(403)
    expect(await rowsOf(gone, b)).toEqual([])
  })

  it('rejects bad input with 400 naming the field', async () => {
    const a = await aMusician(env.platform)
    const r = await swipe(a, { id: 'not-a-uuid' }, 'like')
    expect(r.statusCode).toBe(400)
    expect(JSON.stringify(r.json())).toContain('toUserId')
    const t = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/interactions`,
      headers: bearer(a),
      payload: { toUserId: a.id, type: 'wink' },
    })
    expect(t.statusCode).toBe(400)
    expect(JSON.stringify(t.json())).toContain('type')
  })

  it('needs a musician token', async () => {
    const b = await aMusician(env.platform)
    expect(
      (await env.http.inject({ method: 'POST', url: `${BANDSY}/interactions`, payload: { toUserId: b.id, type: 'like' } })).statusCode,
    ).toBe(401)
  })

  it('mutual likes make one match with a conversation, a score, and a notification for both', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    expect((await swipe(a, b, 'like')).json().match).toBeNull()
    const r = await swipe(b, a, 'super_like')
    expect(r.statusCode).toBe(201)
    const match = r.json().match
    expect(match).toMatchObject({ created: true })
    expect(match.score).toBeGreaterThanOrEqual(0)
    expect(match.score).toBeLessThanOrEqual(100)
    const db = env.platform.db.kysely
    const row = await db.selectFrom('bandsy.matches').selectAll().where('id', '=', match.id).executeTakeFirstOrThrow()
    expect(row.user1Id < row.user2Id).toBe(true)
    expect([row.user1Id, row.user2Id].sort()).toEqual([a.id, b.id].sort())
    expect(row.matchScore).toBe(match.score)
    const participants = await db
      .selectFrom('bandsy.conversationParticipants')
      .select('userId')
      .where('conversationId', '=', match.conversationId)
      .execute()
    expect(participants.map((p) => p.userId).sort()).toEqual([a.id, b.id].sort())
    const notes = await db
      .selectFrom('bandsy.notifications')
      .select(['userId', 'type', 'data'])
      .where('type', '=', 'match.created')
      .where('userId', 'in', [a.id, b.id])
      .execute()
    expect(notes).toHaveLength(2)
    for (const n of notes) expect(n.data).toEqual({ matchId: match.id, conversationId: match.conversationId })
    // Liking again reports the same match, not a new one, and notifies nobody again.
    const again = await swipe(a, b, 'like')
    expect(again.statusCode).toBe(200)
    expect(again.json().match).toEqual({ ...match, created: false })
    expect(
      await db
        .selectFrom('bandsy.notifications')
        .select('id')
        .where('type', '=', 'match.created')
        .where('userId', 'in', [a.id, b.id])
        .execute(),
    ).toHaveLength(2)
  })

  it('a pass back makes no match', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    await swipe(a, b, 'like')
    expect((await swipe(b, a, 'pass')).json().match).toBeNull()
  })

  it('a like towards someone you blocked or who blocked you is a 404, as if they did not exist', async () => {
    const [a, b, c] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    await anInteraction(env.platform, b, a, 'block')
    for (const type of ['like', 'super_like']) {
      const r = await swipe(a, b, type)
      expect(r.statusCode).toBe(404)
      expect(r.json().error.code).toBe('not_found')
    }
    expect((await swipe(a, c, 'block')).statusCode).toBe(201)
    expect((await swipe(a, c, 'like')).statusCode).toBe(404)
    expect(await rowsOf(a, b)).toEqual([])
  })

  it('block removes your swipes, is allowed whatever the state, is idempotent, and ends the active match', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId, conversationId } = await aMatch(env.platform, a, b)
    const first = await swipe(a, b, 'block')
    expect(first.statusCode).toBe(201)
    expect(first.json().match).toBeNull()
    expect((await rowsOf(a, b)).map((r) => r.type)).toEqual(['block'])
    expect((await swipe(a, b, 'block')).statusCode).toBe(200)
    const m = await env.platform.db.kysely.selectFrom('bandsy.matches').select('status').where('id', '=', matchId).executeTakeFirstOrThrow()
    expect(m.status).toBe('blocked')
    const list = await env.http.inject({ method: 'GET', url: `${BANDSY}/matches?status=all`, headers: bearer(b) })
    expect(list.json().matches.find((x: { id: string }) => x.id === matchId)).toMatchObject({ status: 'blocked', conversationId })
    // Blocked by the other side too: a block towards someone who blocked you is still allowed.
    expect((await swipe(b, a, 'block')).statusCode).toBe(201)
  })

  it('unblocking (DELETE) removes the block; the match the block ended stays blocked; 404 when there is none', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId } = await aMatch(env.platform, a, b)
    await swipe(a, b, 'block')
    const del = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/block`, headers: bearer(a) })
    expect(del.statusCode).toBe(200)
    expect(del.json().interaction).toMatchObject({ type: 'block', toUserId: b.id })
    expect(await rowsOf(a, b)).toEqual([])
    const m = await env.platform.db.kysely.selectFrom('bandsy.matches').select('status').where('id', '=', matchId).executeTakeFirstOrThrow()
    expect(m.status).toBe('blocked')
    expect((await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/block`, headers: bearer(a) })).statusCode).toBe(
      404,
    )
    // Unblocked, they can like each other again.
    expect((await swipe(a, b, 'like')).statusCode).toBe(201)
  })

  it('undoes a pass, and refuses to undo a like (400 naming type)', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    expect((await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/pass`, headers: bearer(a) })).statusCode).toBe(
      404,
    )
    await swipe(a, b, 'pass')
    expect((await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/pass`, headers: bearer(a) })).statusCode).toBe(
      200,
    )
    expect(await rowsOf(a, b)).toEqual([])
    const like = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/like`, headers: bearer(a) })
    expect(like.statusCode).toBe(400)
    expect(JSON.stringify(like.json())).toContain('type')
  })

  it("undoing someone else's block is a 404: you can only remove your own", async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    await swipe(b, a, 'block')
    expect((await env.http.inject({ method: 'DELETE', url: `${BANDSY}/interactions/${b.id}/block`, headers: bearer(a) })).statusCode).toBe(
      404,
    )
    expect((await rowsOf(b, a)).map((r) => r.type)).toEqual(['block'])
  })
})
