import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, instrumentId } from '../../../../test/support/bandsy'
import { call, foundGroup, join, participantsOf } from '../../../../test/support/bandsy-groups'
import { withUser } from '../../../platform'

const claimsOf = (m: { id: string }) => ({ sub: m.id, role: 'musician', app: 'bandsy' })

describe('Bandsy group members', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('the last admin cannot leave nor be demoted (409); with a second admin they can', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)

    const leave = await call(env, admin, 'DELETE', `/groups/${id}/members/${admin.id}`)
    expect(leave.statusCode).toBe(409)
    expect(leave.json().error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/a group must keep at least one admin/) })
    const demote = await call(env, admin, 'PATCH', `/groups/${id}/members/${admin.id}`, { role: 'member' })
    expect(demote.statusCode).toBe(409)
    expect(demote.json().error.message).toMatch(/a group must keep at least one admin/)

    const promote = await call(env, admin, 'PATCH', `/groups/${id}/members/${member.id}`, { role: 'admin' })
    expect(promote.statusCode, promote.body).toBe(200)
    expect((await call(env, admin, 'PATCH', `/groups/${id}/members/${admin.id}`, { role: 'member' })).statusCode).toBe(200)
    expect((await call(env, member, 'DELETE', `/groups/${id}/members/${member.id}`)).statusCode).toBe(409)
    expect((await call(env, admin, 'DELETE', `/groups/${id}/members/${admin.id}`)).statusCode).toBe(204)
  })

  it('leaving removes the musician from the group conversation', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const { id, conversationId } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    expect(await participantsOf(env, conversationId)).toContain(member.id)
    expect((await call(env, member, 'DELETE', `/groups/${id}/members/${member.id}`)).statusCode).toBe(204)
    expect(await participantsOf(env, conversationId)).toEqual([admin.id])
    expect((await call(env, member, 'GET', `/groups/${id}`)).json().group).toMatchObject({ myRole: null, conversationId: null })
  })

  it('an admin removes a member; a member cannot remove anyone else (403)', async () => {
    const admin = await aMusician(env.platform)
    const a = await aMusician(env.platform)
    const b = await aMusician(env.platform)
    const { id, conversationId } = await foundGroup(env, admin)
    await join(env, admin, id, a)
    await join(env, admin, id, b)
    expect((await call(env, a, 'DELETE', `/groups/${id}/members/${b.id}`)).statusCode).toBe(403)
    expect((await call(env, a, 'DELETE', `/groups/${id}/members/${admin.id}`)).statusCode).toBe(403)
    expect((await call(env, admin, 'DELETE', `/groups/${id}/members/${b.id}`)).statusCode).toBe(204)
    expect(await participantsOf(env, conversationId)).toEqual([admin.id, a.id].sort())
    expect((await call(env, admin, 'DELETE', `/groups/${id}/members/${b.id}`)).statusCode).toBe(404)

    const removed = await withUser(env.platform.db.kysely, claimsOf(a), (tx) =>
      tx.deleteFrom('bandsy.groupMembers').where('groupId', '=', id).where('userId', '=', admin.id).returning('id').execute(),
    )
    expect(removed).toEqual([])
  })

  it('only admins change roles (403), also refused through withUser', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    const res = await call(env, member, 'PATCH', `/groups/${id}/members/${member.id}`, { role: 'admin' })
    expect(res.statusCode).toBe(403)
    await expect(
      withUser(env.platform.db.kysely, claimsOf(member), (tx) =>
        tx.updateTable('bandsy.groupMembers').set({ role: 'admin' }).where('groupId', '=', id).where('userId', '=', member.id).execute(),
      ),
    ).rejects.toThrow(/only a group admin can change roles/)
    expect(
      (await call(env, admin, 'GET', `/groups/${id}`)).json().group.members.find((m: { userId: string }) => m.userId === member.id).role,
    ).toBe('member')
  })

  it('members play different instruments within the group: each sets their own, an admin sets anyone’s', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    await join(env, admin, id, other)
    const drums = await instrumentId(env.platform, 'Drums')
    const bass = await instrumentId(env.platform, 'Bass Guitar')

    const own = await call(env, member, 'PATCH', `/groups/${id}/members/${member.id}`, { instrumentId: drums })
    expect(own.statusCode, own.body).toBe(200)
    expect((await call(env, admin, 'PATCH', `/groups/${id}/members/${other.id}`, { instrumentId: bass })).statusCode).toBe(200)
    expect((await call(env, member, 'PATCH', `/groups/${id}/members/${other.id}`, { instrumentId: drums })).statusCode).toBe(403)

    const members = (await call(env, member, 'GET', `/groups/${id}`)).json().group.members
    const playing = Object.fromEntries(
      members.map((m: { userId: string; instrument: { name: string } | null }) => [m.userId, m.instrument?.name ?? null]),
    )
    expect(playing).toEqual({ [admin.id]: null, [member.id]: 'Drums', [other.id]: 'Bass Guitar' })

    const unknown = await call(env, member, 'PATCH', `/groups/${id}/members/${member.id}`, {
      instrumentId: '00000000-0000-4000-8000-000000000077',
    })
    expect(unknown.statusCode).toBe(404)
    const cleared = await call(env, member, 'PATCH', `/groups/${id}/members/${member.id}`, { instrumentId: null })
    expect(cleared.json().group.members.find((m: { userId: string }) => m.userId === member.id).instrument).toBeNull()
  })
})
