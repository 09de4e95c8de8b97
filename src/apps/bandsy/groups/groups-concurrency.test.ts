// Races on group membership need transactions that really run at the same time. PGlite is a
// single session (its pool of one connection serialises every transaction), so this suite only
// means something on a Postgres server and is skipped on PGlite.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aMusician } from '../../../../test/support/bandsy'
import { call, foundGroup, invite, join, participantsOf } from '../../../../test/support/bandsy-groups'

describeOnServer('Bandsy groups under concurrency (server only)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const adminsOf = async (groupId: string) =>
    (
      await env.platform.db.kysely
        .selectFrom('bandsy.groupMembers')
        .select('userId')
        .where('groupId', '=', groupId)
        .where('role', '=', 'admin')
        .execute()
    ).map((r) => r.userId)

  it('20 simultaneous accepts into a group with 3 free places: exactly 3 join, 17 get 409', async () => {
    const admin = await aMusician(env.platform)
    const { id, conversationId } = await foundGroup(env, admin, { maxMembers: 4 })
    const guests = await Promise.all(Array.from({ length: 20 }, () => aMusician(env.platform)))
    const invitations: string[] = []
    for (const g of guests) invitations.push(await invite(env, admin, id, g))

    const responses = await Promise.all(guests.map((g, i) => call(env, g, 'POST', `/invitations/${invitations[i]}/accept`)))
    const statuses = responses.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 200)).toHaveLength(3)
    expect(statuses.filter((s) => s === 409)).toHaveLength(17)
    for (const r of responses.filter((x) => x.statusCode === 409))
      expect(r.json().error.details).toMatchObject({ constraint: 'groups_max_members' })

    const members = await env.platform.db.kysely.selectFrom('bandsy.groupMembers').select('userId').where('groupId', '=', id).execute()
    expect(members).toHaveLength(4)
    expect(await participantsOf(env, conversationId)).toEqual(members.map((m) => m.userId).sort())
    const accepted = await env.platform.db.kysely
      .selectFrom('bandsy.groupInvitations')
      .select('invitedUserId')
      .where('groupId', '=', id)
      .where('status', '=', 'accepted')
      .execute()
    expect(accepted.map((a) => a.invitedUserId).sort()).toEqual(
      members
        .map((m) => m.userId)
        .filter((u) => u !== admin.id)
        .sort(),
    )
  })

  it('two admins demoting each other at the same instant leave one admin, 20 times over', async () => {
    for (let round = 0; round < 20; round++) {
      const a = await aMusician(env.platform)
      const b = await aMusician(env.platform)
      const { id } = await foundGroup(env, a)
      await join(env, a, id, b)
      expect((await call(env, a, 'PATCH', `/groups/${id}/members/${b.id}`, { role: 'admin' })).statusCode).toBe(200)

      const [ab, ba] = await Promise.all([
        call(env, a, 'PATCH', `/groups/${id}/members/${b.id}`, { role: 'member' }),
        call(env, b, 'PATCH', `/groups/${id}/members/${a.id}`, { role: 'member' }),
      ])
      const statuses = [ab.statusCode, ba.statusCode].sort()
      // The loser either finds itself no longer admin (403) or is the last admin (409).
      expect(statuses[0], `round ${round}: ${ab.body} ${ba.body}`).toBe(200)
      expect([403, 409]).toContain(statuses[1])
      expect(await adminsOf(id)).toHaveLength(1)
    }
  })

  it('two admins leaving at the same instant leave one admin, 20 times over', async () => {
    for (let round = 0; round < 20; round++) {
      const a = await aMusician(env.platform)
      const b = await aMusician(env.platform)
      const { id } = await foundGroup(env, a)
      await join(env, a, id, b)
      expect((await call(env, a, 'PATCH', `/groups/${id}/members/${b.id}`, { role: 'admin' })).statusCode).toBe(200)

      const [la, lb] = await Promise.all([
        call(env, a, 'DELETE', `/groups/${id}/members/${a.id}`),
        call(env, b, 'DELETE', `/groups/${id}/members/${b.id}`),
      ])
      expect([la.statusCode, lb.statusCode].sort(), `round ${round}: ${la.body} ${lb.body}`).toEqual([204, 409])
      expect(await adminsOf(id)).toHaveLength(1)
    }
  })
})
