// Issue 10, item 20: a new group member reads the group's messages from their joining on, not
// the earlier ones (migration 0011, RLS on bandsy.messages); members who were there keep theirs.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, type Musician } from '../../../../test/support/bandsy'
import { call, foundGroup, join } from '../../../../test/support/bandsy-groups'
import { claimsOf } from '../../../../test/support/bandsy-conversations'
import { withUser } from '../../../platform'

let env: TestEnv
beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

const say = async (who: Musician, conversationId: string, content: string) => {
  const res = await call(env, who, 'POST', `/conversations/${conversationId}/messages`, { type: 'text', content })
  expect(res.statusCode, res.body).toBe(201)
}
const read = async (who: Musician, conversationId: string) => {
  const res = await call(env, who, 'GET', `/conversations/${conversationId}/messages`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().messages.map((m: { content: string }) => m.content) as string[]
}
/** The same question asked of the database as the request role, under row-level security. */
const visibleInDb = (who: Musician, conversationId: string) =>
  withUser(env.platform.db.kysely, claimsOf(who), async (tx) =>
    (
      await sql<{
        content: string
      }>`select content from bandsy.messages where conversation_id = ${conversationId} order by created_at`.execute(tx)
    ).rows.map((r) => r.content),
  )

describe('group history', () => {
  it('a new member reads messages from their joining on; earlier members read everything', async () => {
    const admin = await aMusician(env.platform)
    const early = await aMusician(env.platform)
    const late = await aMusician(env.platform)
    const group = await foundGroup(env, admin)
    await join(env, admin, group.id, early)
    await say(admin, group.conversationId, 'welcome')
    await say(early, group.conversationId, 'should we ask the new bassist?')
    env.clock.advance(60_000)
    await join(env, admin, group.id, late)
    await say(admin, group.conversationId, 'hi, new bassist')
    await say(late, group.conversationId, 'hello all')

    const all = ['welcome', 'should we ask the new bassist?', 'hi, new bassist', 'hello all']
    expect(await read(admin, group.conversationId)).toEqual(all)
    expect(await read(early, group.conversationId)).toEqual(all)
    expect(await read(late, group.conversationId)).toEqual(['hi, new bassist', 'hello all'])
    // Enforced by the database for the request role, not only by the query.
    expect(await visibleInDb(late, group.conversationId)).toEqual(['hi, new bassist', 'hello all'])
    expect(await visibleInDb(early, group.conversationId)).toEqual(all)
    // The conversation list's unread count and last message agree.
    const list = (await call(env, late, 'GET', '/conversations')).json().conversations as {
      id: string
      unreadCount: number
    }[]
    expect(list.find((c) => c.id === group.conversationId)?.unreadCount).toBe(1)
  })

  it('a member who leaves and rejoins reads only from the rejoin', async () => {
    const admin = await aMusician(env.platform)
    const m = await aMusician(env.platform)
    const group = await foundGroup(env, admin)
    await join(env, admin, group.id, m)
    await say(admin, group.conversationId, 'first')
    expect((await call(env, m, 'DELETE', `/groups/${group.id}/members/${m.id}`)).statusCode).toBe(204)
    await say(admin, group.conversationId, 'while away')
    await join(env, admin, group.id, m)
    await say(admin, group.conversationId, 'back again')
    expect(await read(m, group.conversationId)).toEqual(['back again'])
    expect(await read(admin, group.conversationId)).toEqual(['first', 'while away', 'back again'])
  })
})
