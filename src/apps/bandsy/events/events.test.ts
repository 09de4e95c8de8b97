import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, BERLIN } from '../../../../test/support/bandsy'
import { anEvent, call, DAY, foundGroup, join } from '../../../../test/support/bandsy-groups'
import { withUser } from '../../../platform'

const claimsOf = (m: { id: string }) => ({ sub: m.id, role: 'musician', app: 'bandsy' })
const POTSDAM = { latitude: 52.39, longitude: 13.06 } // about 27 km from central Berlin
const HAMBURG = { latitude: 53.55, longitude: 9.99 } // about 255 km
const at = (env: TestEnv, days: number) => new Date(env.clock.now().getTime() + days * DAY).toISOString()

describe('Bandsy events', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  beforeEach(async () => {
    // Each test lists public events from a clean slate.
    await sql`delete from bandsy.events`.execute(env.platform.db.kysely)
  })
  afterAll(() => env.close())

  it('group admins create events; members and others cannot (403), nor through withUser (RLS)', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const outsider = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)

    const res = await call(env, admin, 'POST', `/groups/${id}/events`, {
      title: 'Release show',
      venue: 'SO36',
      ...POTSDAM,
      startDate: at(env, 3),
      endDate: at(env, 3.1),
      maxAttendees: 200,
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().event).toMatchObject({
      title: 'Release show',
      groupId: id,
      isPublic: true,
      maxAttendees: 200,
      latitude: POTSDAM.latitude,
    })

    for (const who of [member, outsider])
      expect((await call(env, who, 'POST', `/groups/${id}/events`, { title: 'x', startDate: at(env, 1) })).statusCode).toBe(403)
    await expect(
      withUser(env.platform.db.kysely, claimsOf(member), (tx) =>
        tx
          .insertInto('bandsy.events')
          .values({ groupId: id, title: 'Sneaky', startDate: new Date(at(env, 1)) })
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/)
    const eventId = res.json().event.id
    expect((await call(env, member, 'PATCH', `/events/${eventId}`, { title: 'Hijacked' })).statusCode).toBe(403)
    expect((await call(env, member, 'DELETE', `/events/${eventId}`)).statusCode).toBe(403)
    const changed = await withUser(env.platform.db.kysely, claimsOf(member), (tx) =>
      tx.updateTable('bandsy.events').set({ title: 'Hijacked' }).where('id', '=', eventId).returning('id').execute(),
    )
    expect(changed).toEqual([])
  })

  it('admins edit and delete events', async () => {
    const admin = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    const event = await anEvent(env, admin, id)
    const edited = await call(env, admin, 'PATCH', `/events/${event.id}`, { title: 'Moved', ...HAMBURG, isPublic: false })
    expect(edited.statusCode, edited.body).toBe(200)
    expect(edited.json().event).toMatchObject({ title: 'Moved', latitude: HAMBURG.latitude, isPublic: false })
    expect((await call(env, admin, 'DELETE', `/events/${event.id}`)).statusCode).toBe(204)
    expect((await call(env, admin, 'GET', `/groups/${id}/events`)).json().events).toEqual([])
  })

  it('dates: startDate not in the past, endDate not before startDate, place needs both coordinates (400 naming the field)', async () => {
    const admin = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    const past = await call(env, admin, 'POST', `/groups/${id}/events`, { title: 'x', startDate: at(env, -0.01) })
    expect(past.statusCode).toBe(400)
    expect(past.json().error.details).toMatchObject({ field: 'startDate' })
    const backwards = await call(env, admin, 'POST', `/groups/${id}/events`, { title: 'x', startDate: at(env, 2), endDate: at(env, 1) })
    expect(backwards.json().error.details).toMatchObject({ field: 'endDate' })
    const half = await call(env, admin, 'POST', `/groups/${id}/events`, { title: 'x', startDate: at(env, 2), latitude: 52 })
    expect(half.statusCode).toBe(400)
    const event = await anEvent(env, admin, id, { startDate: at(env, 2) })
    const badEdit = await call(env, admin, 'PATCH', `/events/${event.id}`, { endDate: at(env, 1) })
    expect(badEdit.statusCode).toBe(400)
    expect(badEdit.json().error.details).toMatchObject({ field: 'endDate' })
    for (const body of [
      { title: 'x', startDate: 'tomorrow' },
      { title: '', startDate: at(env, 1) },
      { title: 'x', startDate: at(env, 1), latitude: 91, longitude: 0 },
      { title: 'x', startDate: at(env, 1), maxAttendees: 0 },
    ]) {
      const res = await call(env, admin, 'POST', `/groups/${id}/events`, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
    }
  })

  it('private events are hidden from non-members, shown to members', async () => {
    const admin = await aMusician(env.platform)
    const member = await aMusician(env.platform)
    const outsider = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await join(env, admin, id, member)
    const open = await anEvent(env, admin, id, { title: 'Open' })
    const closed = await anEvent(env, admin, id, { title: 'Rehearsal', isPublic: false, startDate: at(env, 2) })

    const titles = async (who: typeof admin) =>
      (await call(env, who, 'GET', `/groups/${id}/events`)).json().events.map((e: { title: string }) => e.title)
    expect(await titles(member)).toEqual(['Open', 'Rehearsal'])
    expect(await titles(outsider)).toEqual(['Open'])
    const listed = (await call(env, outsider, 'GET', '/events')).json().events.map((e: { id: string }) => e.id)
    expect(listed).toEqual([open.id])
    expect((await call(env, member, 'GET', '/events')).json().events.map((e: { id: string }) => e.id)).not.toContain(closed.id)
    const direct = await withUser(env.platform.db.kysely, claimsOf(outsider), (tx) =>
      tx.selectFrom('bandsy.events').select('id').where('groupId', '=', id).execute(),
    )
    expect(direct.map((r) => r.id)).toEqual([open.id])
  })

  it('public events are listed by date, then distance from the profile location; past ones are not', async () => {
    const admin = await aMusician(env.platform)
    const viewer = await aMusician(env.platform) // in Berlin
    const { id } = await foundGroup(env, admin)
    const sameTime = at(env, 5)
    await anEvent(env, admin, id, { title: 'far', ...HAMBURG, startDate: sameTime })
    await anEvent(env, admin, id, { title: 'near', ...POTSDAM, startDate: sameTime })
    await anEvent(env, admin, id, { title: 'nowhere', startDate: sameTime })
    await anEvent(env, admin, id, { title: 'soon', ...HAMBURG, startDate: at(env, 1) })
    const gone = await anEvent(env, admin, id, { title: 'gone', startDate: at(env, 0.5) })
    env.clock.advance(0.6 * DAY)

    const res = await call(env, viewer, 'GET', '/events')
    expect(res.statusCode, res.body).toBe(200)
    const events = res.json().events
    expect(events.map((e: { title: string }) => e.title)).toEqual(['soon', 'near', 'far', 'nowhere'])
    expect(events.map((e: { id: string }) => e.id)).not.toContain(gone.id)
    expect(events[1].distanceKm).toBeGreaterThan(20)
    expect(events[1].distanceKm).toBeLessThan(35)
    expect(events[2].distanceKm).toBeGreaterThan(240)
    expect(events[3].distanceKm).toBeNull()
  })

  it('radiusKm keeps events within the distance and drops those without a place; lat/lng override the profile', async () => {
    const admin = await aMusician(env.platform)
    const viewer = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    await anEvent(env, admin, id, { title: 'potsdam', ...POTSDAM })
    await anEvent(env, admin, id, { title: 'hamburg', ...HAMBURG })
    await anEvent(env, admin, id, { title: 'nowhere' })
    const titles = async (q: string) =>
      (await call(env, viewer, 'GET', `/events?${q}`))
        .json()
        .events.map((e: { title: string }) => e.title)
        .sort()

    expect(await titles('radiusKm=50')).toEqual(['potsdam'])
    expect(await titles('radiusKm=300')).toEqual(['hamburg', 'potsdam'])
    expect(await titles(`lat=${HAMBURG.latitude}&lng=${HAMBURG.longitude}&radiusKm=10`)).toEqual(['hamburg'])
    expect(await titles(`lat=${BERLIN.lat}&lng=${BERLIN.lng}`)).toEqual(['hamburg', 'nowhere', 'potsdam'])

    const homeless = await aMusician(env.platform, { at: null })
    const noPosition = await call(env, homeless, 'GET', '/events?radiusKm=10')
    expect(noPosition.statusCode).toBe(400)
    expect(noPosition.json().error.details).toMatchObject({ field: 'radiusKm' })
    const list = (await call(env, homeless, 'GET', '/events')).json().events
    expect(list.every((e: { distanceKm: number | null }) => e.distanceKm === null)).toBe(true)
  })

  it('from/to bound the dates and pages follow nextCursor without repeats', async () => {
    const admin = await aMusician(env.platform)
    const viewer = await aMusician(env.platform)
    const { id } = await foundGroup(env, admin)
    for (let i = 0; i < 5; i++)
      await anEvent(env, admin, id, { title: `e${i}`, ...(i % 2 ? POTSDAM : {}), startDate: at(env, 1 + (i % 3)) })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(env, viewer, 'GET', `/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      seen.push(...res.json().events.map((e: { title: string }) => e.title))
      cursor = res.json().nextCursor
    } while (cursor)
    expect(seen).toHaveLength(5)
    expect(new Set(seen).size).toBe(5)
    const all = (await call(env, viewer, 'GET', '/events?limit=100')).json().events.map((e: { title: string }) => e.title)
    expect(seen).toEqual(all)

    const bounded = (
      await call(env, viewer, 'GET', `/events?from=${encodeURIComponent(at(env, 1.5))}&to=${encodeURIComponent(at(env, 2.5))}`)
    ).json().events
    expect(bounded.map((e: { title: string }) => e.title).sort()).toEqual(['e1', 'e4'])

    for (const q of [
      'cursor=garbage',
      'lat=52',
      'lat=200&lng=0',
      'radiusKm=-1',
      'limit=0',
      'from=yesterday',
      `from=${encodeURIComponent(at(env, 2))}&to=${encodeURIComponent(at(env, 1))}`,
    ]) {
      const res = await call(env, viewer, 'GET', `/events?${q}`)
      expect(res.statusCode, q).toBe(400)
      expect(res.json().error.code).toEqual(expect.any(String))
    }
  })
})
