// Bandsy conversations over HTTP: what a musician sees when listing, reading, posting and
// marking read, and who is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aGroup, aMatch, aMusician, bearer, BANDSY, type Musician } from '../../../../test/support/bandsy'
import { deactivateGroup, removeFromGroup, setMatchStatus } from '../../../../test/support/bandsy-conversations'
import { eventsNamed, openEventStream } from '../../../../test/support/event-stream'

describe('Bandsy conversations', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const musician = () => aMusician(env.platform)
  const get = (m: Musician, url: string) => env.http.inject({ method: 'GET', url: `${BANDSY}${url}`, headers: bearer(m) })
  const post = (m: Musician, url: string, payload?: object) =>
    env.http.inject({ method: 'POST', url: `${BANDSY}${url}`, headers: bearer(m), payload })
  const send = (m: Musician, conversationId: string, content: string) =>
    post(m, `/conversations/${conversationId}/messages`, { type: 'text', content })

  it('lists your conversations by newest activity, with participants, last message and unread count', async () => {
    const [me, x, y] = [await musician(), await musician(), await musician()]
    const withX = await aMatch(env.platform, me, x)
    const withY = await aMatch(env.platform, me, y)
    env.clock.advance(60_000)
    expect((await send(x, withX.conversationId, 'hey')).statusCode).toBe(201)
    env.clock.advance(60_000)
    expect((await send(y, withY.conversationId, 'yo')).statusCode).toBe(201)

    const page1 = await get(me, '/conversations?limit=1')
    expect(page1.statusCode).toBe(200)
    const [first] = page1.json().conversations
    expect(first).toMatchObject({
      id: withY.conversationId,
      matchId: withY.matchId,
      groupId: null,
      isGroupChat: false,
      unreadCount: 1,
      lastMessage: { type: 'text', content: 'yo', senderId: y.id, isRead: false },
    })
    expect(first.participants.map((p: { username: string }) => p.username).sort()).toEqual([me.username, y.username].sort())
    const page2 = (await get(me, `/conversations?limit=1&cursor=${page1.json().nextCursor}`)).json()
    expect(page2.conversations.map((c: { id: string }) => c.id)).toEqual([withX.conversationId])
    expect(page2.nextCursor).toBeNull()

    const one = await get(me, `/conversations/${withX.conversationId}`)
    expect(one.statusCode).toBe(200)
    expect(one.json().conversation).toMatchObject({ id: withX.conversationId, unreadCount: 1 })
    // Not a participant: RLS hides the conversation, and the API says it does not exist.
    expect((await get(y, `/conversations/${withX.conversationId}`)).statusCode).toBe(404)
    expect((await get(y, `/conversations/${withX.conversationId}/messages`)).statusCode).toBe(404)
    expect((await get(y, '/conversations')).json().conversations.map((c: { id: string }) => c.id)).toEqual([withY.conversationId])
  })

  it('only matched musicians and current group members can message (seed rule)', async () => {
    const [a, b, outsider] = [await musician(), await musician(), await musician()]
    const match = await aMatch(env.platform, a, b)
    expect((await send(a, match.conversationId, 'hello')).statusCode).toBe(201)
    expect((await send(outsider, match.conversationId, 'me too')).statusCode).toBe(404)

    await setMatchStatus(env.platform, match.matchId, 'unmatched')
    const ended = await send(b, match.conversationId, 'still there?')
    expect(ended.statusCode).toBe(403)
    expect(ended.json().error).toMatchObject({ code: 'forbidden', message: 'This match has ended' })
    // The history stays readable.
    expect((await get(b, `/conversations/${match.conversationId}/messages`)).json().messages).toHaveLength(1)

    const blocked = await aMatch(env.platform, await musician(), b)
    await setMatchStatus(env.platform, blocked.matchId, 'blocked')
    expect((await send(b, blocked.conversationId, 'hi')).json().error.message).toBe('This match has ended')

    const [admin, member, leaver] = [await musician(), await musician(), await musician()]
    const group = await aGroup(env.platform, admin, [member, leaver])
    expect((await send(member, group.conversationId, 'jam on friday?')).statusCode).toBe(201)
    await removeFromGroup(env.platform, group.groupId, leaver)
    expect((await send(leaver, group.conversationId, 'wait')).statusCode).toBe(404)
    await deactivateGroup(env.platform, group.groupId)
    const inactive = await send(admin, group.conversationId, 'anyone?')
    expect(inactive.statusCode).toBe(403)
    expect(inactive.json().error.message).toBe('This group is no longer active')
  })

  it('orders messages chronologically and pages them with before/after cursors', async () => {
    const [a, b] = [await musician(), await musician()]
    const { conversationId } = await aMatch(env.platform, a, b)
    for (let i = 1; i <= 5; i++) {
      env.clock.advance(1000)
      await send(i % 2 ? a : b, conversationId, `m${i}`)
    }
    const contents = (r: { json(): { messages: { content: string }[] } }) => r.json().messages.map((m) => m.content)
    const latest = await get(a, `/conversations/${conversationId}/messages?limit=2`)
    expect(contents(latest)).toEqual(['m4', 'm5'])
    await send(b, conversationId, 'm6')
    const older = await get(a, `/conversations/${conversationId}/messages?limit=3&before=${latest.json().olderCursor}`)
    expect(contents(older)).toEqual(['m1', 'm2', 'm3'])
    expect(older.json().olderCursor).toBeNull()
    const newer = await get(a, `/conversations/${conversationId}/messages?after=${latest.json().newerCursor}`)
    expect(contents(newer)).toEqual(['m6'])
    expect(newer.json().hasNewer).toBe(false)
  })

  it('keeps read status per musician in a group of three', async () => {
    const [admin, m1, m2] = [await musician(), await musician(), await musician()]
    const { conversationId } = await aGroup(env.platform, admin, [m1, m2])
    await send(admin, conversationId, 'setlist is up')
    await send(m1, conversationId, 'nice')
    const unread = async (m: Musician) => (await get(m, '/unread')).json()
    expect((await unread(m2)).total).toBe(2)

    const read = await post(m2, `/conversations/${conversationId}/read`, {})
    expect(read.statusCode).toBe(200)
    expect(read.json().unreadCount).toBe(0)
    expect(await unread(m2)).toEqual({ total: 0, conversations: [] })
    expect(await unread(admin)).toEqual({ total: 1, conversations: [{ conversationId, unreadCount: 1 }] })
    expect((await unread(m1)).total).toBe(1)
    const conv = (await get(admin, `/conversations/${conversationId}`)).json().conversation
    const lastRead = Object.fromEntries(
      conv.participants.map((p: { userId: string; lastReadAt: string | null }) => [p.userId, p.lastReadAt]),
    )
    expect(lastRead[m2.id]).not.toBeNull()
    expect([lastRead[admin.id], lastRead[m1.id]]).toEqual([null, null])
  })

  it('moves your read position forward only; 1:1 messages show as read to their sender', async () => {
    const [a, b] = [await musician(), await musician()]
    const { conversationId } = await aMatch(env.platform, a, b)
    env.clock.advance(1000)
    const first = (await send(a, conversationId, 'one')).json().message
    env.clock.advance(1000)
    await send(a, conversationId, 'two')
    const upTo = (at: string) => post(b, `/conversations/${conversationId}/read`, { upTo: at })
    expect((await upTo(first.createdAt)).json()).toEqual({ lastReadAt: first.createdAt, unreadCount: 1 })
    expect((await upTo('2000-01-01T00:00:00Z')).json()).toEqual({ lastReadAt: first.createdAt, unreadCount: 1 })
    const seen = (await get(a, `/conversations/${conversationId}/messages`)).json().messages.map((m: { isRead: boolean }) => m.isRead)
    expect(seen).toEqual([true, false])
    expect((await post(await musician(), `/conversations/${conversationId}/read`, {})).statusCode).toBe(404)
  })

  it('caps a read marker in the future at the newest message, so later messages still count as unread', async () => {
    const [a, b] = [await musician(), await musician()]
    const { conversationId } = await aMatch(env.platform, a, b)
    env.clock.advance(1000)
    const first = (await send(a, conversationId, 'one')).json().message
    const future = await post(b, `/conversations/${conversationId}/read`, { upTo: '2999-01-01T00:00:00Z' })
    expect(future.json()).toEqual({ lastReadAt: first.createdAt, unreadCount: 0 })
    env.clock.advance(1000)
    await send(a, conversationId, 'two')
    const mine = (await get(b, '/conversations')).json().conversations.find((c: { id: string }) => c.id === conversationId)
    expect(mine.unreadCount).toBe(1)
  })

  it('delivers new messages on the recipients’ event streams, not the sender’s', async () => {
    const base = await env.http.listen({ port: 0, host: '127.0.0.1' })
    const [a, b] = [await musician(), await musician()]
    const { conversationId } = await aMatch(env.platform, a, b)
    const toB = await openEventStream(`${base}${BANDSY}/stream?access_token=${b.token}`)
    const toA = await openEventStream(`${base}${BANDSY}/stream`, bearer(a))
    expect([toB.status, toA.status]).toEqual([200, 200])
    await toB.until((t) => t.includes(': connected'))
    await toA.until((t) => t.includes(': connected'))
    const sent = (await send(a, conversationId, 'listen to this')).json().message
    await toB.until((t) => t.includes('event: message.created'))
    expect(eventsNamed(toB.text(), 'message.created')).toEqual([{ conversationId, messageId: sent.id }])
    await new Promise((r) => setTimeout(r, 200))
    expect(eventsNamed(toA.text(), 'message.created')).toEqual([])
    toA.close()
    toB.close()
    const noToken = await env.http.inject({ method: 'GET', url: `${BANDSY}/stream` })
    expect(noToken.statusCode).toBe(401)
  })

  it('answers bad input with a 4xx naming the problem', async () => {
    const [a, b] = [await musician(), await musician()]
    const { conversationId } = await aMatch(env.platform, a, b)
    const url = `/conversations/${conversationId}/messages`
    const cases: [string, object | undefined, number, RegExp][] = [
      ['blank text', { type: 'text', content: '   ' }, 400, /body\.content/],
      ['no content', { type: 'text' }, 400, /body\.content/],
      ['too long', { type: 'text', content: 'x'.repeat(5001) }, 400, /body\.content/],
      ['unknown type', { type: 'video', content: 'hi' }, 400, /body\.type/],
      ['audio as JSON', { type: 'audio' }, 400, /file/],
      ['no body', undefined, 400, /body/],
    ]
    for (const [what, payload, status, message] of cases) {
      const res = await post(a, url, payload)
      expect(res.statusCode, what).toBe(status)
      expect(res.json().error.message, what).toMatch(message)
    }
    const gets: [string, RegExp][] = [
      ['/conversations/not-a-uuid', /params\.id/],
      [`${url}?before=nonsense`, /querystring\.before/],
      [`${url}?limit=0`, /querystring\.limit/],
      ['/conversations?cursor=%25%25', /querystring\.cursor/],
    ]
    for (const [u, message] of gets) {
      const res = await get(a, u)
      expect(res.statusCode, u).toBe(400)
      expect(res.json().error.message, u).toMatch(message)
    }
    const cursor = (await get(a, `${url}`)).json().newerCursor ?? 'x'
    expect((await get(a, `${url}?before=${cursor}&after=${cursor}`)).statusCode).toBe(400)
    expect((await post(a, `/conversations/${conversationId}/read`, { upTo: 'yesterday' })).json().error.message).toMatch(/body\.upTo/)
    expect((await env.http.inject({ method: 'GET', url: `${BANDSY}/conversations` })).statusCode).toBe(401)
  })
})
