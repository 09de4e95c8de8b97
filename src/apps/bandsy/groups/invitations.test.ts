import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, anInteraction } from '../../../../test/support/bandsy'
import { call, foundGroup, invite, join, participantsOf } from '../../../../test/support/bandsy-groups'
import { withUser } from '../../../platform'

const claimsOf = (m: { id: string }) => ({ sub: m.id, role: 'musician', app: 'bandsy' })

describe('Bandsy group invitations', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('an accepted invitation adds the musician to the group and its conversation, and is marked accepted', async () => {
    const admin = await aMusician(env.platform)
    const guest = await aMusician(env.platform)
    const { id, conversationId } = await foundGroup(env, admin, { name: 'Hosts' })
    const invitationId = await invite(env, admin, id, guest)

    const pending = (await call(env, guest, 'GET', '/invitations')).json().invitations
    expect(pending).toEqual([
      expect.objectContaining({ id: invitationId, groupId: id, groupName: 'Hosts', status: 'pending', invitedBy: admin.id }),
    ])
    const notes = await env.platform.db.kysely.selectFrom('bandsy.notifications').select('type').where('userId', '=', guest.id).execute()
    expect(notes.map((n) => n.type)).toContain('group.invitation')

    const res = await call(env, guest, 'POST', `/invitations/${invitationId}/accept`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().invitation).toMatchObject({ status: 'accepted', respondedAt: expect.any(String) })
    expect(res.json().group).toMatchObject({ myRole: 'member', memberCount: 2, conversationId })
    expect(await participantsOf(env, conversationId)).toEqual([admin.id, guest.id].sort())
    expect((await call(env, guest, 'GET', '/invitations')).json().invitations).toEqual([])

    const again = await call(env, guest, 'POST', `/invitations/${invitationId}/accept`)
    expect(again.statusCode).toBe(409)
  })

  it('a member cannot be invited again (409), nor can a musician with a pending invitation (409)', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const guest = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    expect((await call(env, admin, 'POST', `/groups/${id}/invitations`, { userId: member.id })).statusCode).toBe(409)
    await invite(env, admin, id, guest)
    const twice = await call(env, admin, 'POST', `/groups/${id}/invitations`, { userId: guest.id })
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.code).toBe('conflict')
  })

  it('blocked musicians, either way, and soft-deleted or unknown ones are not found (404)', async () => {
    const admin = await aMusician(env.platform)
    const blockedByMe = await aMusician(env.platform)
    const blockingMe = await aMusician(env.platform)
    const deleted = await aMusician(env.platform, { deleted: true })
    const { id } = await foundGroup(env, admin)
    await anInteraction(env.platform, admin, blockedByMe, 'block')
    await anInteraction(env.platform, blockingMe, admin, 'block')
    for (const userId of [blockedByMe.id, blockingMe.id, deleted.id, '00000000-0000-4000-8000-00000000abcd']) {
      const res = await call(env, admin, 'POST', `/groups/${id}/invitations`, { userId })
      expect(res.statusCode, userId).toBe(404)
    }
  })

  it('only admins invite or revoke (403), also through withUser (RLS)', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const guest = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    expect((await call(env, member, 'POST', `/groups/${id}/invitations`, { userId: guest.id })).statusCode).toBe(403)
    const invitationId = await invite(env, admin, id, guest)
    expect((await call(env, member, 'DELETE', `/groups/${id}/invitations/${invitationId}`)).statusCode).toBe(403)

    await expect(
      withUser(env.platform.db.kysely, claimsOf(member), (tx) =>
        tx.insertInto('bandsy.groupInvitations').values({ groupId: id, invitedUserId: guest.id, invitedBy: member.id }).execute(),
      ),
    ).rejects.toThrow(/row-level security/)
    // A member sees only their own invitation, not others' to the group; a stranger cannot join uninvited.
    const seen = await withUser(env.platform.db.kysely, claimsOf(member), (tx) =>
      tx.selectFrom('bandsy.groupInvitations').select('invitedUserId').where('groupId', '=', id).execute(),
    )
    expect(seen).toEqual([{ invitedUserId: member.id }])
    const stranger = await aMusician(env.platform)
    await expect(
      withUser(env.platform.db.kysely, claimsOf(stranger), (tx) =>
        tx.insertInto('bandsy.groupMembers').values({ groupId: id, userId: stranger.id }).execute(),
      ),
    ).rejects.toThrow(/row-level security/)
  })

  it('an admin revokes a pending invitation; it can then not be accepted', async () => {
    const admin = await aMusician(env.platform)
    const guest = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    const invitationId = await invite(env, admin, id, guest)
    expect((await call(env, admin, 'DELETE', `/groups/${id}/invitations/${invitationId}`)).statusCode).toBe(204)
    const res = await call(env, guest, 'POST', `/invitations/${invitationId}/accept`)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.details).toMatchObject({ status: 'revoked' })
    expect((await call(env, admin, 'DELETE', `/groups/${id}/invitations/${invitationId}`)).statusCode).toBe(409)
  })

  it('the invitee declines; someone else cannot answer their invitation (404)', async () => {
    const admin = await aMusician(env.platform)
    const guest = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    const invitationId = await invite(env, admin, id, guest)
    expect((await call(env, other, 'POST', `/invitations/${invitationId}/accept`)).statusCode).toBe(404)
    expect((await call(env, other, 'POST', `/invitations/${invitationId}/decline`)).statusCode).toBe(404)
    const res = await call(env, guest, 'POST', `/invitations/${invitationId}/decline`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().invitation.status).toBe('declined')
    expect((await call(env, guest, 'GET', `/groups/${id}`)).json().group.myRole).toBeNull()
  })

  it('max_members holds: accepting into a full group is a 409 naming max_members', async () => {
    const admin = await aMusician(env.platform)
    const first = await aMusician(env.platform)
    const second = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin, { maxMembers: 2 })
    const one = await invite(env, admin, id, first)
    const two = await invite(env, admin, id, second)
    expect((await call(env, first, 'POST', `/invitations/${one}/accept`)).statusCode).toBe(200)
    const full = await call(env, second, 'POST', `/invitations/${two}/accept`)
    expect(full.statusCode).toBe(409)
    expect(full.json().error).toMatchObject({ code: 'conflict', details: { constraint: 'groups_max_members', maxMembers: 2 } })
    expect(full.json().error.message).toMatch(/max_members/)
    // The refused accept changed nothing: the invitation is still pending.
    expect((await call(env, second, 'GET', '/invitations')).json().invitations.map((i: { id: string }) => i.id)).toEqual([two])
  })
})
