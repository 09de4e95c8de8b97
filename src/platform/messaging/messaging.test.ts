// The platform messaging module against Bandsy's tables (the one schema that has them today),
// called the way an app calls it: inside withUser, so Bandsy's RLS policies apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../test/support/test-env'
import { aGroup, aMatch, aMusician, type Musician } from '../../../test/support/bandsy'
import { withUser } from '../db/with-user'
import type { Tx } from '../db/database'
import type { RealtimeEvent } from '../notify/types'
import { createMessaging, MESSAGE_CREATED } from './messaging'
import type { Messaging } from './types'

let env: TestEnv
let messaging: Messaging
const as = <T>(m: Musician, fn: (tx: Tx) => Promise<T>) =>
  withUser(env.platform.db.kysely, { sub: m.id, role: 'musician', app: 'bandsy' }, fn)
const say = (m: Musician, conversationId: string, content: string) =>
  as(m, (tx) => messaging.post(tx, { conversationId, senderId: m.id, type: 'text', content }))
const settle = () => new Promise((r) => setTimeout(r, 200))

beforeAll(async () => {
  env = await createTestEnv()
  messaging = createMessaging(env.platform, { app: 'bandsy', schema: 'bandsy', conversationColumns: ['matchId', 'groupId'] })
})
afterAll(() => env.close())

describe('platform messaging', () => {
  it('keeps messages chronological and pages them by cursor, stable while messages arrive', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    // Same clock reading for all: created_at still strictly increases (microseconds apart).
    for (let i = 1; i <= 5; i++) await say(i % 2 ? a : b, conversationId, `m${i}`)
    const texts = (p: { messages: { content: string | null }[] }) => p.messages.map((m) => m.content)

    const latest = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 2 }))
    expect(texts(latest)).toEqual(['m4', 'm5'])
    expect(latest.hasNewer).toBe(false)
    await say(b, conversationId, 'm6') // arrives while the reader scrolls back
    const older = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 2, before: latest.olderCursor! }))
    expect(texts(older)).toEqual(['m2', 'm3'])
    const oldest = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 2, before: older.olderCursor! }))
    expect(texts(oldest)).toEqual(['m1'])
    expect(oldest.olderCursor).toBeNull()

    const newer = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 5, after: latest.newerCursor! }))
    expect(texts(newer)).toEqual(['m6'])
    expect(newer.hasNewer).toBe(false)
    const idle = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 5, after: newer.newerCursor! }))
    expect(idle).toMatchObject({ messages: [], newerCursor: newer.newerCursor, hasNewer: false })

    await expect(as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 2, before: 'nonsense!' }))).rejects.toMatchObject({
      code: 'validation_failed',
    })
  })

  it('lists conversations by newest activity with participants, last message and unread count', async () => {
    const me = await aMusician(env.platform)
    const [x, y] = [await aMusician(env.platform), await aMusician(env.platform)]
    const withX = await aMatch(env.platform, me, x)
    const withY = await aMatch(env.platform, me, y)
    env.clock.advance(60_000)
    await say(y, withY.conversationId, 'hi from y')
    env.clock.advance(60_000)
    await say(x, withX.conversationId, 'hi from x')
    await say(x, withX.conversationId, 'again')

    const first = await as(me, (tx) => messaging.listConversations(tx, me.id, { limit: 1 }))
    expect(first.conversations).toHaveLength(1)
    expect(first.conversations[0]).toMatchObject({
      id: withX.conversationId,
      isGroupChat: false,
      unreadCount: 2,
      lastMessage: { content: 'again', senderId: x.id },
      extra: { matchId: withX.matchId, groupId: null },
    })
    expect(first.conversations[0].participants.map((p) => p.userId).sort()).toEqual([me.id, x.id].sort())
    const second = await as(me, (tx) => messaging.listConversations(tx, me.id, { limit: 1, cursor: first.nextCursor! }))
    expect(second.conversations.map((c) => c.id)).toEqual([withY.conversationId])
    expect(second.nextCursor).toBeNull()

    env.clock.advance(60_000)
    await say(me, withY.conversationId, 'back to y')
    const reordered = await as(me, (tx) => messaging.listConversations(tx, me.id, { limit: 10 }))
    expect(reordered.conversations.map((c) => c.id)).toEqual([withY.conversationId, withX.conversationId])
    expect(await as(x, (tx) => messaging.getConversation(tx, withY.conversationId, x.id))).toBeUndefined()
  })

  it('moves read state forward only, and marks is_read in 1:1 chats', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    const m1 = await say(a, conversationId, 'one')
    env.clock.advance(1000)
    const m2 = await say(a, conversationId, 'two')

    const read = await as(b, (tx) => messaging.markRead(tx, conversationId, b.id, m1.createdAt))
    expect(read).toEqual({ lastReadAt: m1.createdAt, unreadCount: 1 })
    const isRead = () =>
      env.platform.db.kysely
        .selectFrom('bandsy.messages')
        .select(['content', 'isRead'])
        .where('conversationId', '=', conversationId)
        .orderBy('createdAt')
        .execute()
    expect(await isRead()).toEqual([
      { content: 'one', isRead: true },
      { content: 'two', isRead: false },
    ])

    const back = await as(b, (tx) => messaging.markRead(tx, conversationId, b.id, new Date(0)))
    expect(back?.lastReadAt).toEqual(m1.createdAt)
    // A time in the future stops at the newest message, so later ones still count as unread.
    const all = await as(b, (tx) => messaging.markRead(tx, conversationId, b.id, new Date('2999-01-01')))
    expect(all).toEqual({ lastReadAt: m2.createdAt, unreadCount: 0 })
    await say(a, conversationId, 'three')
    expect(await as(b, (tx) => messaging.unreadCounts(tx, b.id))).toEqual({ total: 1, conversations: [{ conversationId, unreadCount: 1 }] })
    // The sender's own messages are never unread for them.
    expect(await as(a, (tx) => messaging.unreadCounts(tx, a.id))).toEqual({ total: 0, conversations: [] })
    // RLS: no one moves another participant's read state.
    expect(await as(a, (tx) => messaging.markRead(tx, conversationId, b.id))).toBeUndefined()
  })

  it('keeps read state per user in a group, without touching is_read', async () => {
    const [admin, m1, m2] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aGroup(env.platform, admin, [m1, m2])
    await say(admin, conversationId, 'rehearsal at 8')
    await say(m1, conversationId, 'ok')
    await as(m2, (tx) => messaging.markRead(tx, conversationId, m2.id))
    const unread = async (m: Musician) => (await as(m, (tx) => messaging.unreadCounts(tx, m.id))).total
    expect([await unread(admin), await unread(m1), await unread(m2)]).toEqual([1, 1, 0])
    const flags = await env.platform.db.kysely
      .selectFrom('bandsy.messages')
      .select('isRead')
      .where('conversationId', '=', conversationId)
      .execute()
    expect(flags.every((f) => f.isRead === false)).toBe(true)
  })

  it('publishes message.created to the other participants only, and only on commit', async () => {
    const [admin, m1, m2] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aGroup(env.platform, admin, [m1, m2])
    const got: RealtimeEvent[] = []
    const stops = await Promise.all([admin, m1, m2].map((m) => env.platform.notify.subscribe('bandsy', m.id, (e) => got.push(e))))
    await expect(
      as(admin, async (tx) => {
        await messaging.post(tx, { conversationId, senderId: admin.id, type: 'text', content: 'never sent' })
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    await settle()
    expect(got).toEqual([])
    const sent = await say(admin, conversationId, 'sent')
    await expect.poll(() => got.length).toBe(2)
    expect(got.map((e) => e.userId).sort()).toEqual([m1.id, m2.id].sort())
    expect(got[0]).toMatchObject({ app: 'bandsy', type: MESSAGE_CREATED, data: { conversationId, messageId: sent.id } })
    for (const stop of stops) await stop()
  })

  it('leaves who may post to the database: a non-participant is refused with 42501', async () => {
    const [a, b, outsider] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    await expect(say(outsider, conversationId, 'let me in')).rejects.toMatchObject({ code: '42501' })
    await expect(as(outsider, (tx) => messaging.listMessages(tx, conversationId, { limit: 10 }))).resolves.toMatchObject({ messages: [] })
  })
})

// PGlite has one session, so two open transactions cannot interleave there.
describeOnServer('platform messaging under concurrent posts', () => {
  it('orders a late-committing post after the one that committed first, so `after` polling misses nothing', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    const start = env.clock.now()
    env.clock.set(new Date(start.getTime() + 10_000))
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let firstId = ''
    const first = as(a, async (tx) => {
      firstId = (await messaging.post(tx, { conversationId, senderId: a.id, type: 'text', content: 'first' })).id
      await gate
    })
    await expect.poll(() => firstId).not.toBe('')
    // The second poster's clock reads earlier (another instance, a slower clock).
    env.clock.set(start)
    const second = say(b, conversationId, 'second')
    await settle()
    release()
    await first
    await second
    const page = await as(a, (tx) => messaging.listMessages(tx, conversationId, { limit: 10 }))
    expect(page.messages.map((m) => m.content)).toEqual(['first', 'second'])
  })
})
