import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, genreId } from '../../../../test/support/bandsy'
import { call, foundGroup, join, participantsOf } from '../../../../test/support/bandsy-groups'
import { withUser } from '../../../platform'

const claimsOf = (m: { id: string }) => ({ sub: m.id, role: 'musician', app: 'bandsy' })

describe('Bandsy groups', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('the founder becomes admin and joins the group conversation', async () => {
    const founder = await aMusician(env.platform)
    const rock = await genreId(env.platform, 'Rock')
    const res = await call(env, founder, 'POST', '/groups', { name: ' Night Owls ', description: 'Late sets', genreIds: [rock, rock] })
    expect(res.statusCode, res.body).toBe(201)
    const { group } = res.json()
    expect(group).toMatchObject({ name: 'Night Owls', maxMembers: 10, memberCount: 1, myRole: 'admin', isActive: true })
    expect(group.genres).toEqual([{ id: rock, name: 'Rock' }])
    expect(group.members).toHaveLength(1)
    expect(group.members[0]).toMatchObject({ userId: founder.id, role: 'admin', user: { id: founder.id, username: founder.username } })
    expect(group.conversationId).toEqual(expect.any(String))
    expect(await participantsOf(env, group.conversationId)).toEqual([founder.id])
  })

  it('shows members by public card without coordinates, hides soft-deleted members, and the conversation only to members', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const gone = await aMusician(env.platform)
    const outsider = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    await join(env, admin, id, gone)
    await env.platform.db.kysely.updateTable('bandsy.users').set({ deletedAt: env.clock.now() }).where('id', '=', gone.id).execute()

    const asMember = (await call(env, member, 'GET', `/groups/${id}`)).json().group
    expect(asMember.members.map((m: { userId: string }) => m.userId)).toEqual([admin.id, member.id])
    expect(asMember.conversationId).toEqual(expect.any(String))
    expect(asMember.myRole).toBe('member')
    expect(JSON.stringify(asMember)).not.toMatch(/latitude|longitude|email/)

    const asOutsider = await call(env, outsider, 'GET', `/groups/${id}`)
    expect(asOutsider.statusCode).toBe(200)
    expect(asOutsider.json().group).toMatchObject({ myRole: null, conversationId: null })
  })

  it('lists my groups with mine=true, and active groups with mine=false', async () => {
    const me = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const a = await foundGroup(env, me, { name: 'Alpha' })
    const b = await foundGroup(env, other, { name: 'Beta' })
    await join(env, other, b.id, me)
    const c = await foundGroup(env, other, { name: 'Gamma' })

    const mine = (await call(env, me, 'GET', '/groups?mine=true')).json().groups
    expect(mine.map((g: { id: string; myRole: string }) => [g.id, g.myRole])).toEqual([
      [a.id, 'admin'],
      [b.id, 'member'],
    ])
    const all = (await call(env, me, 'GET', '/groups?mine=false&limit=100')).json().groups.map((g: { id: string }) => g.id)
    expect(all).toEqual(expect.arrayContaining([a.id, b.id, c.id]))
  })

  it('admins edit the group; maxMembers cannot go below the member count (409)', async () => {
    const admin = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    for (let i = 0; i < 2; i++) await join(env, admin, id, await aMusician(env.platform))

    const edited = await call(env, admin, 'PATCH', `/groups/${id}`, { name: 'Renamed', description: null, maxMembers: 3 })
    expect(edited.statusCode, edited.body).toBe(200)
    expect(edited.json().group).toMatchObject({ name: 'Renamed', description: null, maxMembers: 3 })

    const tooSmall = await call(env, admin, 'PATCH', `/groups/${id}`, { maxMembers: 2 })
    expect(tooSmall.statusCode).toBe(409)
    expect(tooSmall.json().error).toMatchObject({ code: 'conflict', details: { field: 'maxMembers', memberCount: 3 } })
  })

  it('an inactive group is hidden from non-members and still shown to its members', async () => {
    const admin = await aMusician(env.platform)
    const outsider = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    expect((await call(env, admin, 'PATCH', `/groups/${id}`, { isActive: false })).statusCode).toBe(200)
    expect((await call(env, outsider, 'GET', `/groups/${id}`)).statusCode).toBe(404)
    expect((await call(env, admin, 'GET', `/groups/${id}`)).json().group.isActive).toBe(false)
  })

  it('non-admins cannot edit, set genres or delete the group (403), nor through withUser (RLS)', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin, { name: 'Original' })
    await join(env, admin, id, member)
    const jazz = await genreId(env.platform, 'Jazz')

    expect((await call(env, member, 'PATCH', `/groups/${id}`, { name: 'Hijacked' })).statusCode).toBe(403)
    expect((await call(env, member, 'PUT', `/groups/${id}/genres`, { genreIds: [jazz] })).statusCode).toBe(403)
    expect((await call(env, member, 'DELETE', `/groups/${id}`)).statusCode).toBe(403)

    const db = env.platform.db.kysely
    const updated = await withUser(db, claimsOf(member), (tx) =>
      tx.updateTable('bandsy.groups').set({ name: 'Hijacked' }).where('id', '=', id).returning('id').execute(),
    )
    expect(updated).toHaveLength(0)
    const deleted = await withUser(db, claimsOf(member), (tx) =>
      tx.deleteFrom('bandsy.groups').where('id', '=', id).returning('id').execute(),
    )
    expect(deleted).toHaveLength(0)
    await expect(
      withUser(db, claimsOf(member), (tx) => tx.insertInto('bandsy.groupGenres').values({ groupId: id, genreId: jazz }).execute()),
    ).rejects.toThrow(/row-level security/)
    const row = await db.selectFrom('bandsy.groups').select('name').where('id', '=', id).executeTakeFirstOrThrow()
    expect(row.name).toBe('Original')
  })

  it('admins replace the genres; unknown genres are a 400 naming them', async () => {
    const admin = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    const jazz = await genreId(env.platform, 'Jazz')
    const res = await call(env, admin, 'PUT', `/groups/${id}/genres`, { genreIds: [jazz] })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().group.genres).toEqual([{ id: jazz, name: 'Jazz' }])
    const bad = await call(env, admin, 'PUT', `/groups/${id}/genres`, { genreIds: ['00000000-0000-4000-8000-000000000001'] })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.details).toMatchObject({ field: 'genreIds', unknown: ['00000000-0000-4000-8000-000000000001'] })
  })

  it('the admin deletes the group with its conversation', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const { id, conversationId } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    const res = await call(env, admin, 'DELETE', `/groups/${id}`)
    expect(res.statusCode, res.body).toBe(204)
    expect((await call(env, admin, 'GET', `/groups/${id}`)).statusCode).toBe(404)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from bandsy.conversations where id = ${conversationId}`.execute(
      env.platform.db.kysely,
    )
    expect(rows[0].n).toBe(0)
  })

  it('bad input gets a 4xx JSON error naming the problem', async () => {
    const m = await aMusician(env.platform)
    const { id } = await foundGroup(env, m)
    const cases: [string, string, Record<string, unknown> | undefined][] = [
      ['POST', '/groups', { name: '' }],
      ['POST', '/groups', { name: 'x', maxMembers: 1 }],
      ['POST', '/groups', { name: 'x', maxMembers: 101 }],
      ['POST', '/groups', { name: 'x', imageUrl: 'javascript:alert(1)' }],
      ['POST', '/groups', { name: 'a\u0000b' }],
      ['POST', '/groups', { name: 'x', genreIds: ['nope'] }],
      ['GET', '/groups/not-a-uuid', undefined],
      ['GET', '/groups?mine=maybe', undefined],
      ['PATCH', `/groups/${id}`, { maxMembers: 'ten' }],
      ['PATCH', `/groups/${id}`, { unknownField: 1 }],
      ['PATCH', `/groups/${id}/members/${m.id}`, { role: 'owner' }],
    ]
    for (const [method, url, payload] of cases) {
      const res = await call(env, m, method as 'GET', url, payload)
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400)
      expect(res.json().error.code).toEqual(expect.any(String))
    }
    const missing = await call(env, m, 'GET', '/groups/00000000-0000-4000-8000-000000000009')
    expect(missing.statusCode).toBe(404)
    expect((await env.http.inject({ method: 'GET', url: `/v1/bandsy/groups/${id}` })).statusCode).toBe(401)
  })
})
