import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, onServer, type TestEnv } from '../../../test/support/test-env'
import { withUser } from '../db/with-user'
import type { RealtimeEvent } from './types'
import type { RealtimeNotifier } from './notifier'

const APP = 'onedesigner'
const settle = () => new Promise((r) => setTimeout(r, 200))

describe(`notifier on ${onServer ? 'a Postgres server' : 'PGlite'}`, () => {
  let env: TestEnv
  let notifier: RealtimeNotifier
  beforeAll(async () => {
    env = await createTestEnv()
    notifier = env.platform.notify as RealtimeNotifier
  })
  afterAll(() => env.close())

  async function listen(userId: string, app = APP) {
    const got: RealtimeEvent[] = []
    const stop = await notifier.subscribe(app, userId, (e) => got.push(e))
    return { got, stop }
  }

  const stored = (id: string) =>
    env.platform.db.kysely.selectFrom('onedesigner.notifications').selectAll().where('id', '=', id).executeTakeFirst()

  it('stores a notification and delivers it only when the transaction commits', async () => {
    const userId = randomUUID()
    const { got, stop } = await listen(userId)
    env.clock.set('2030-03-03T10:00:00Z')
    let id = ''
    await env.platform.db.kysely.transaction().execute(async (tx) => {
      id = await env.platform.notify.notify(tx, {
        app: APP,
        userId,
        type: 'project_request.received',
        title: 'New project request',
        body: 'Answer within 72 hours.',
        data: { requestId: 'r-1' },
      })
      await settle()
      expect(got).toEqual([])
    })
    await expect.poll(() => got.length).toBe(1)
    expect(got[0]).toEqual({ app: APP, userId, type: 'notification', data: { id, type: 'project_request.received' } })
    expect(await stored(id)).toMatchObject({
      userId,
      type: 'project_request.received',
      title: 'New project request',
      body: 'Answer within 72 hours.',
      data: { requestId: 'r-1' },
      readAt: null,
      createdAt: new Date('2030-03-03T10:00:00Z'),
    })
    await stop()
  })

  it('neither stores nor delivers when the transaction rolls back', async () => {
    const userId = randomUUID()
    const { got, stop } = await listen(userId)
    let id = ''
    await expect(
      env.platform.db.kysely.transaction().execute(async (tx) => {
        id = await env.platform.notify.notify(tx, { app: APP, userId, type: 't', title: 'never' })
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    await settle()
    expect(got).toEqual([])
    expect(await stored(id)).toBeUndefined()
    await stop()
  })

  it("works inside a user's transaction, for another user, and leaves that transaction under RLS", async () => {
    const designer = { sub: randomUUID(), role: 'designer', app: APP }
    const clientId = randomUUID()
    const { got, stop } = await listen(clientId)
    const after = await withUser(env.platform.db.kysely, designer, async (tx) => {
      await env.platform.notify.notify(tx, { app: APP, userId: clientId, type: 'project_request.accepted', title: 'Accepted' })
      const { rows } = await sql<{ usr: string; uid: string }>`select current_user as usr, platform.uid()::text as uid`.execute(tx)
      // Still RLS-bound: the designer cannot read the client's notification it just created.
      const visible = await tx.selectFrom('onedesigner.notifications').select('id').where('userId', '=', clientId).execute()
      return { ...rows[0], visible: visible.length }
    })
    expect(after).toEqual({ usr: 'matchbase_user', uid: designer.sub, visible: 0 })
    await expect.poll(() => got.length).toBe(1)
    await stop()
  })

  it("writes through platform.send_notification: no role switch, only the request's own app, only a shaped table", async () => {
    const db = env.platform.db.kysely
    const roles = await withUser(db, { sub: randomUUID(), role: 'designer', app: APP }, async (tx) => {
      const before = (await sql<{ r: string }>`select current_setting('role') as r`.execute(tx)).rows[0].r
      await env.platform.notify.notify(tx, { app: APP, userId: randomUUID(), type: 't', title: 't' })
      const after = (await sql<{ r: string }>`select current_setting('role') as r`.execute(tx)).rows[0].r
      return { before, after }
    })
    expect(roles).toEqual({ before: 'matchbase_user', after: 'matchbase_user' })
    await expect(
      withUser(db, { sub: randomUUID(), role: 'musician', app: 'bandsy' }, (tx) =>
        env.platform.notify.notify(tx, { app: APP, userId: randomUUID(), type: 't', title: 't' }),
      ),
    ).rejects.toThrow(/may not notify onedesigner users/)
    await expect(
      db.transaction().execute((tx) => env.platform.notify.notify(tx, { app: 'platform', userId: randomUUID(), type: 't', title: 't' })),
    ).rejects.toThrow(/no platform notifications table/)
  })

  it('fans events out by app and user only, and stops after unsubscribe', async () => {
    const a = randomUUID()
    const b = randomUUID()
    const forA = await listen(a)
    const forB = await listen(b)
    const aElsewhere = await listen(a, 'bandsy')
    await env.platform.db.kysely
      .transaction()
      .execute((tx) => env.platform.notify.publish(tx, { app: APP, userId: a, type: 'match.updated', data: { matchId: 'm-1' } }))
    await expect.poll(() => forA.got.length).toBe(1)
    expect(forA.got[0]).toEqual({ app: APP, userId: a, type: 'match.updated', data: { matchId: 'm-1' } })
    expect(forB.got).toEqual([])
    expect(aElsewhere.got).toEqual([])
    expect(notifier.subscriberCount(APP, a)).toBe(1)
    await forA.stop()
    expect(notifier.subscriberCount(APP, a)).toBe(0)
    await env.platform.db.kysely
      .transaction()
      .execute((tx) => env.platform.notify.publish(tx, { app: APP, userId: a, type: 'match.updated', data: {} }))
    await settle()
    expect(forA.got).toHaveLength(1)
    await forB.stop()
    await aElsewhere.stop()
  })

  it('refuses a payload NOTIFY could not carry, and an app name that is not an identifier', async () => {
    await expect(
      env.platform.db.kysely
        .transaction()
        .execute((tx) =>
          env.platform.notify.publish(tx, { app: APP, userId: randomUUID(), type: 'big', data: { blob: 'x'.repeat(9000) } }),
        ),
    ).rejects.toThrow(/too large/)
    await expect(
      env.platform.db.kysely
        .transaction()
        .execute((tx) => env.platform.notify.notify(tx, { app: 'onedesigner.x; drop', userId: randomUUID(), type: 't', title: 't' })),
    ).rejects.toThrow(/Invalid app name/)
  })
})
