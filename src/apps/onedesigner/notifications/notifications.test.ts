import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { eventsNamed, openEventStream } from '../../../../test/support/event-stream'
import { withUser, HOUR, type RealtimeNotifier } from '../../../platform'

const APP = 'onedesigner'

describe('OneDesigner notifications', () => {
  let env: TestEnv
  let client: TestUser
  let designer: TestUser
  let admin: TestUser

  beforeAll(async () => {
    env = await createTestEnv()
    client = await aClient(env.platform)
    designer = await aDesigner(env.platform)
    admin = await anAdmin(env.platform)
  })
  afterAll(() => env.close())

  /** Creates a notification as the system would, one hour after the previous one. */
  async function notify(user: TestUser, type = 'project_request.received', title = 'Hello') {
    env.clock.advance(HOUR)
    return env.platform.db.kysely
      .transaction()
      .execute((tx) =>
        env.platform.notify.notify(tx, { app: APP, userId: user.id, type, title, body: `Body of ${title}`, data: { ref: title } }),
      )
  }

  const list = (user: TestUser, query = '') =>
    env.http.inject({ method: 'GET', url: `/v1/onedesigner/notifications${query}`, headers: bearer(user) })

  it('lists a user’s notifications newest first, with the unread count, in pages', async () => {
    const ids: string[] = []
    for (let i = 1; i <= 5; i++) ids.push(await notify(designer, 'project_request.received', `n${i}`))
    const n5At = env.clock.now().toISOString()
    await notify(client, 'project_request.accepted', 'for the client')

    const first = await list(designer, '?limit=2')
    expect(first.statusCode).toBe(200)
    const page1 = first.json()
    expect(page1.notifications.map((n: { title: string }) => n.title)).toEqual(['n5', 'n4'])
    expect(page1.unreadCount).toBe(5)
    expect(page1.notifications[0]).toEqual({
      id: ids[4],
      type: 'project_request.received',
      title: 'n5',
      body: 'Body of n5',
      data: { ref: 'n5' },
      readAt: null,
      createdAt: n5At,
    })
    expect(page1.nextCursor).toBe(ids[3])

    const page2 = (await list(designer, `?limit=2&cursor=${page1.nextCursor}`)).json()
    expect(page2.notifications.map((n: { title: string }) => n.title)).toEqual(['n3', 'n2'])
    const page3 = (await list(designer, `?limit=2&cursor=${page2.nextCursor}`)).json()
    expect(page3.notifications.map((n: { title: string }) => n.title)).toEqual(['n1'])
    expect(page3.nextCursor).toBeNull()

    // Defaults: 20 per page.
    const all = (await list(designer)).json()
    expect(all.notifications).toHaveLength(5)
    expect(all.nextCursor).toBeNull()
  })

  it('marks one read (keeping the first read time) and all read, for every role', async () => {
    const a = await notify(admin, 'designer.edited', 'Re-review')
    await notify(admin, 'designer.edited', 'Another')
    env.clock.set('2030-01-01T12:00:00Z')
    const read = await env.http.inject({ method: 'POST', url: `/v1/onedesigner/notifications/${a}/read`, headers: bearer(admin) })
    expect(read.statusCode).toBe(200)
    expect(read.json().notification).toMatchObject({ id: a, readAt: '2030-01-01T12:00:00.000Z' })
    env.clock.set('2030-01-02T12:00:00Z')
    const again = await env.http.inject({ method: 'POST', url: `/v1/onedesigner/notifications/${a}/read`, headers: bearer(admin) })
    expect(again.json().notification.readAt).toBe('2030-01-01T12:00:00.000Z')
    expect((await list(admin)).json().unreadCount).toBe(1)
    expect((await list(admin, '?unread=true')).json().notifications.map((n: { title: string }) => n.title)).toEqual(['Another'])

    const all = await env.http.inject({ method: 'POST', url: '/v1/onedesigner/notifications/read-all', headers: bearer(admin) })
    expect(all.statusCode).toBe(200)
    expect(all.json()).toEqual({ updated: 1 })
    expect((await list(admin)).json().unreadCount).toBe(0)
    expect((await list(client)).json().unreadCount).toBe(1) // someone else's are untouched
  })

  it('never shows or changes another user’s notifications', async () => {
    const clientsOwn = await notify(client, 'project_request.declined', 'private')
    const seen = (await list(designer)).json().notifications.map((n: { id: string }) => n.id)
    expect(seen).not.toContain(clientsOwn)
    const mark = await env.http.inject({
      method: 'POST',
      url: `/v1/onedesigner/notifications/${clientsOwn}/read`,
      headers: bearer(designer),
    })
    expect(mark.statusCode).toBe(404)
    expect(mark.json().error.code).toBe('not_found')
    const foreignCursor = await list(designer, `?cursor=${clientsOwn}`)
    expect(foreignCursor.statusCode).toBe(400)
    expect(foreignCursor.json().error.message).toMatch(/cursor/)
    await env.http.inject({ method: 'POST', url: '/v1/onedesigner/notifications/read-all', headers: bearer(designer) })
    const row = await env.platform.db.kysely
      .selectFrom('onedesigner.notifications')
      .select('readAt')
      .where('id', '=', clientsOwn)
      .executeTakeFirstOrThrow()
    expect(row.readAt).toBeNull()

    // Row-level security itself, without the repository's user filter.
    const claims = { sub: designer.id, role: 'designer', app: APP }
    const underRls = await withUser(env.platform.db.kysely, claims, async (tx) => {
      const rows = await tx.selectFrom('onedesigner.notifications').select('userId').execute()
      const updated = await tx
        .updateTable('onedesigner.notifications')
        .set({ readAt: new Date() })
        .where('id', '=', clientsOwn)
        .executeTakeFirst()
      return { owners: [...new Set(rows.map((r) => r.userId))], updated: Number(updated.numUpdatedRows) }
    })
    expect(underRls).toEqual({ owners: [designer.id], updated: 0 })
    await expect(
      withUser(env.platform.db.kysely, claims, (tx) =>
        sql`insert into onedesigner.notifications (user_id, type, title) values (${client.id}, 'x', 'forged')`.execute(tx),
      ),
    ).rejects.toThrow(/permission denied/)
  })

  it('answers bad input and missing or foreign tokens with 4xx JSON', async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ['GET', '/v1/onedesigner/notifications?limit=0', 400, /limit/],
      ['GET', '/v1/onedesigner/notifications?limit=500', 400, /limit/],
      ['GET', '/v1/onedesigner/notifications?limit=abc', 400, /limit/],
      ['GET', '/v1/onedesigner/notifications?cursor=not-a-uuid', 400, /cursor/],
      ['GET', '/v1/onedesigner/notifications?cursor=00000000-0000-4000-8000-000000000000', 400, /cursor/],
      ['GET', '/v1/onedesigner/notifications?unread=maybe', 400, /unread/],
      ['POST', '/v1/onedesigner/notifications/not-a-uuid/read', 400, /id/],
      ['POST', '/v1/onedesigner/notifications/00000000-0000-4000-8000-000000000000/read', 404, /not found/],
    ]
    for (const [method, url, status, message] of cases) {
      const res = await env.http.inject({ method: method as 'GET', url, headers: bearer(client) })
      expect(res.statusCode, url).toBe(status)
      expect(res.json().error.message, url).toMatch(message)
    }
    const noToken = await env.http.inject({ method: 'GET', url: '/v1/onedesigner/notifications' })
    expect(noToken.statusCode).toBe(401)
    const bandsy = await env.platform.tokens.sign({ sub: client.id, role: 'client', app: 'bandsy' })
    const foreign = await env.http.inject({
      method: 'GET',
      url: '/v1/onedesigner/notifications',
      headers: { authorization: `Bearer ${bandsy}` },
    })
    expect(foreign.statusCode).toBe(401)
    // The query-string token is only for the stream.
    const viaQuery = await env.http.inject({ method: 'GET', url: `/v1/onedesigner/notifications?access_token=${client.token}` })
    expect(viaQuery.statusCode).toBe(401)
  })

  describe('GET /stream over real HTTP', () => {
    let base: string
    beforeAll(async () => {
      base = await env.http.listen({ port: 0, host: '127.0.0.1' })
    })

    it('streams the user’s own notifications as they are committed, with ?access_token=', async () => {
      // A token from now on the platform clock: earlier tests moved the clock past the first one's
      // expiry, and a stream ends when its token expires.
      const token = await env.platform.tokens.sign(
        { sub: designer.id, role: 'designer', app: APP, email: designer.email },
        env.platform.clock.now(),
      )
      const stream = await openEventStream(`${base}/v1/onedesigner/stream?access_token=${encodeURIComponent(token)}`)
      expect(stream.status).toBe(200)
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
      await stream.until((t) => t.includes(': connected'))
      await notify(client, 'project_request.accepted', 'not for the designer')
      const id = await notify(designer, 'project_request.received', 'for the designer')
      const text = await stream.until((t) => t.includes('event: notification'))
      expect(eventsNamed(text, 'notification')).toEqual([{ id, type: 'project_request.received' }])
      stream.close()
      const notifier = env.platform.notify as RealtimeNotifier
      await expect.poll(() => notifier.subscriberCount(APP, designer.id)).toBe(0)
    })

    it('takes the Authorization header too', async () => {
      const stream = await openEventStream(`${base}/v1/onedesigner/stream`, bearer(admin))
      expect(stream.status).toBe(200)
      await stream.until((t) => t.includes(': connected'))
      stream.close()
    })

    it('refuses a missing, invalid or foreign token with 401 JSON', async () => {
      const bandsy = await env.platform.tokens.sign({ sub: client.id, role: 'client', app: 'bandsy' })
      for (const query of ['', '?access_token=', '?access_token=garbage', `?access_token=${bandsy}`]) {
        const res = await fetch(`${base}/v1/onedesigner/stream${query}`)
        expect(res.status, query).toBe(401)
        expect(res.headers.get('content-type')).toMatch(/application\/json/)
        expect((await res.json()).error.code).toBe('unauthorized')
      }
    })
  })
})
