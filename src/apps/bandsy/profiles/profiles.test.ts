import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, anInteraction, BANDSY, bearer, genreId, instrumentId, type Musician } from '../../../../test/support/bandsy'
import { withUser } from '../../../platform'

describe('Bandsy profiles', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const call = (m: Musician | undefined, method: 'GET' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    env.http.inject({ method, url: `${BANDSY}${url}`, headers: m ? bearer(m) : {}, payload })
  const profileRow = (id: string) =>
    env.platform.db.kysely.selectFrom('bandsy.userMatchProfiles').selectAll().where('userId', '=', id).executeTakeFirstOrThrow()

  it('updates the profile and keeps the match profile in sync (location cache)', async () => {
    const m = await aMusician(env.platform, { at: null })
    const r = await call(m, 'PATCH', '/me', {
      bio: 'Funk bassist',
      age: 31,
      showAge: true,
      city: 'Leipzig',
      country: 'Germany',
      latitude: 51.34,
      longitude: 12.37,
    })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ bio: 'Funk bassist', age: 31, latitude: 51.34, longitude: 12.37, missingForMatching: [] })
    expect(await profileRow(m.id)).toMatchObject({ locationLat: 51.34, locationLng: 12.37, city: 'Leipzig', profileComplete: true })
    const cleared = await call(m, 'PATCH', '/me', { latitude: null, longitude: null })
    expect(cleared.json().missingForMatching).toEqual(['location'])
    expect(await profileRow(m.id)).toMatchObject({ locationLat: null, profileComplete: false })
  })

  it('refuses half a location, unknown fields and out-of-range values, naming the field', async () => {
    const m = await aMusician(env.platform)
    const half = await call(m, 'PATCH', '/me', { latitude: 10 })
    expect(half.statusCode).toBe(400)
    expect(half.json().error.message).toMatch(/latitude/)
    expect((await call(m, 'PATCH', '/me', { latitude: 91, longitude: 0 })).json().error.message).toMatch(/latitude/)
    expect((await call(m, 'PATCH', '/me', { age: 7 })).json().error.message).toMatch(/age/)
    expect((await call(m, 'PATCH', '/me', { credits: 5 })).statusCode).toBe(400)
  })

  it('keeps usernames URL-safe and unique', async () => {
    const a = await aMusician(env.platform)
    const b = await aMusician(env.platform)
    for (const bad of ['Has Space', 'UPPER', 'ab', 'ends-', 'sla/sh', 'ümlaut'])
      expect((await call(a, 'PATCH', '/me', { username: bad })).statusCode, bad).toBe(400)
    const taken = await call(a, 'PATCH', '/me', { username: b.username })
    expect(taken.statusCode).toBe(409)
    expect(taken.json().error.message).toMatch(/taken/)
    expect((await call(a, 'PATCH', '/me', { username: 'the_drummer-99' })).json().username).toBe('the_drummer-99')
    // The database holds the rule too.
    await expect(
      env.platform.db.kysely.updateTable('bandsy.users').set({ username: 'Bad Name' }).where('id', '=', b.id).execute(),
    ).rejects.toThrow(/check/)
  })

  it('sets instruments with one primary and keeps the skill average', async () => {
    const m = await aMusician(env.platform)
    const [drums, piano] = [await instrumentId(env.platform, 'Drums'), await instrumentId(env.platform, 'Piano')]
    const r = await call(m, 'PUT', '/me/instruments', {
      instruments: [
        { instrumentId: drums, skillLevel: 'professional', yearsOfExperience: 12 },
        { instrumentId: piano, skillLevel: 'beginner', isPrimary: true },
      ],
    })
    expect(r.statusCode).toBe(200)
    const ins = r.json().instruments
    expect(ins.find((i: { name: string }) => i.name === 'Piano')).toMatchObject({ isPrimary: true, skillLevel: 'beginner' })
    expect(ins.find((i: { name: string }) => i.name === 'Drums')).toMatchObject({ isPrimary: false, yearsOfExperience: 12 })
    expect((await profileRow(m.id)).skillLevelAverage).toBe(2.5) // (4 + 1) / 2

    const twoPrimary = await call(m, 'PUT', '/me/instruments', {
      instruments: [
        { instrumentId: drums, skillLevel: 'advanced', isPrimary: true },
        { instrumentId: piano, skillLevel: 'advanced', isPrimary: true },
      ],
    })
    expect(twoPrimary.statusCode).toBe(400)
    expect(twoPrimary.json().error.message).toMatch(/only one instrument can be primary/)
    // The unique index holds it in the database as well.
    await expect(
      env.platform.db.kysely.updateTable('bandsy.userInstruments').set({ isPrimary: true }).where('userId', '=', m.id).execute(),
    ).rejects.toThrow(/user_instruments_one_primary_idx/)

    expect((await call(m, 'PUT', '/me/instruments', { instruments: [{ instrumentId: drums, skillLevel: 'guru' }] })).statusCode).toBe(400)
    const unknown = await call(m, 'PUT', '/me/instruments', {
      instruments: [{ instrumentId: '00000000-0000-4000-8000-000000000000', skillLevel: 'advanced' }],
    })
    expect(unknown.statusCode).toBe(404)
    // With none marked, the first listed is primary.
    const none = await call(m, 'PUT', '/me/instruments', { instruments: [{ instrumentId: drums, skillLevel: 'advanced' }] })
    expect(none.json().instruments[0]).toMatchObject({ name: 'Drums', isPrimary: true })
    const empty = await call(m, 'PUT', '/me/instruments', { instruments: [] })
    expect(empty.json().missingForMatching).toEqual(['instrument'])
    expect(await profileRow(m.id)).toMatchObject({ skillLevelAverage: null, profileComplete: false })
  })

  it('sets genres with a preference of 1 to 5', async () => {
    const m = await aMusician(env.platform)
    const [jazz, bebop] = [await genreId(env.platform, 'Jazz'), await genreId(env.platform, 'Bebop')]
    const r = await call(m, 'PUT', '/me/genres', { genres: [{ genreId: jazz, preference: 5 }, { genreId: bebop }] })
    expect(r.statusCode).toBe(200)
    expect(r.json().genres).toEqual([
      expect.objectContaining({ name: 'Jazz', preference: 5, parentGenreId: null }),
      expect.objectContaining({ name: 'Bebop', preference: 1, parentGenreId: jazz }),
    ])
    expect((await call(m, 'PUT', '/me/genres', { genres: [{ genreId: jazz, preference: 6 }] })).statusCode).toBe(400)
    expect((await call(m, 'PUT', '/me/genres', { genres: [{ genreId: jazz }, { genreId: jazz }] })).statusCode).toBe(400)
    await expect(
      env.platform.db.kysely.updateTable('bandsy.userGenres').set({ preference: 0 }).where('userId', '=', m.id).execute(),
    ).rejects.toThrow(/check/)
  })

  it('caps the search radius by plan, server-side', async () => {
    const free = await aMusician(env.platform)
    const over = await call(free, 'PATCH', '/me/match-profile', { searchRadius: 200 })
    expect(over.statusCode).toBe(402)
    expect(over.json().error.details).toMatchObject({ plan: 'free', maxSearchRadiusKm: 50, upgradeTo: 'premium' })
    expect((await call(free, 'PATCH', '/me/match-profile', { searchRadius: 40 })).json().searchRadius).toBe(40)
    const premium = await aMusician(env.platform, { plan: 'premium' })
    expect((await call(premium, 'PATCH', '/me/match-profile', { searchRadius: 200 })).json().searchRadius).toBe(200)
    expect((await call(premium, 'PATCH', '/me/match-profile', { searchRadius: 251 })).json().error.details.upgradeTo).toBe('pro')
  })

  it('keeps the age range ordered and looking-for within its list', async () => {
    const m = await aMusician(env.platform)
    expect((await call(m, 'PATCH', '/me/match-profile', { ageRangeMin: 20, ageRangeMax: 35, lookingFor: 'band' })).json()).toMatchObject({
      ageRangeMin: 20,
      ageRangeMax: 35,
      lookingFor: 'band',
    })
    const inverted = await call(m, 'PATCH', '/me/match-profile', { ageRangeMin: 40 })
    expect(inverted.statusCode).toBe(400)
    expect(inverted.json().error.message).toMatch(/ageRangeMin/)
    expect((await call(m, 'PATCH', '/me/match-profile', { lookingFor: 'spouse' })).statusCode).toBe(400)
  })

  it('shows a public profile without email or coordinates, and age only when shown', async () => {
    const viewer = await aMusician(env.platform)
    const hidden = await aMusician(env.platform, { age: 44, showAge: false })
    const shown = await aMusician(env.platform, { age: 27, showAge: true })
    const h = await call(viewer, 'GET', `/users/${hidden.username}`)
    expect(h.statusCode).toBe(200)
    expect(h.json()).toMatchObject({ username: hidden.username, age: null, city: 'Berlin' })
    expect(h.json()).not.toHaveProperty('latitude')
    expect(h.json()).not.toHaveProperty('email')
    expect(h.json().instruments[0]).toMatchObject({ name: 'Electric Guitar', isPrimary: true })
    expect((await call(viewer, 'GET', `/users/${shown.username}`)).json().age).toBe(27)
  })

  it('hides deleted and blocked musicians everywhere profiles are read', async () => {
    const viewer = await aMusician(env.platform)
    const deleted = await aMusician(env.platform, { deleted: true })
    const blocker = await aMusician(env.platform)
    const blocked = await aMusician(env.platform)
    await anInteraction(env.platform, blocker, viewer, 'block')
    await anInteraction(env.platform, viewer, blocked, 'block')
    expect((await call(viewer, 'GET', `/users/${deleted.username}`)).statusCode).toBe(404)
    expect((await call(viewer, 'GET', `/users/${blocker.username}`)).statusCode).toBe(404)
    expect((await call(viewer, 'GET', `/users/${blocked.username}`)).statusCode).toBe(404)
    // Row-level security itself hides soft-deleted users and their instruments.
    const seen = await withUser(env.platform.db.kysely, { sub: viewer.id, role: 'musician', app: 'bandsy' }, async (tx) => ({
      users: await tx.selectFrom('bandsy.users').select('id').where('id', '=', deleted.id).execute(),
      instruments: await tx.selectFrom('bandsy.userInstruments').select('id').where('userId', '=', deleted.id).execute(),
      profile: await tx.selectFrom('bandsy.userMatchProfiles').select('id').where('userId', '=', deleted.id).execute(),
    }))
    expect(seen).toEqual({ users: [], instruments: [], profile: [] })
  })

  it('deletes softly: the row stays, the musician is gone from discovery data', async () => {
    const m = await aMusician(env.platform)
    expect((await call(m, 'DELETE', '/me')).statusCode).toBe(204)
    const row = await env.platform.db.kysely
      .selectFrom('bandsy.users')
      .select(['deletedAt', 'isActive'])
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow()
    expect(row.deletedAt).not.toBeNull()
    expect((await profileRow(m.id)).isActive).toBe(false)
    // The account's sessions ended with it: the old token is refused, not answered 404.
    expect((await call(m, 'GET', '/me')).statusCode).toBe(401)
  })

  it("cannot change another musician's profile or preferences (row-level security)", async () => {
    const me = await aMusician(env.platform)
    const other = await aMusician(env.platform)
    const r = await withUser(env.platform.db.kysely, { sub: me.id, role: 'musician', app: 'bandsy' }, async (tx) => ({
      user: Number(
        (await tx.updateTable('bandsy.users').set({ bio: 'pwned' }).where('id', '=', other.id).executeTakeFirst()).numUpdatedRows,
      ),
      profile: Number(
        (await tx.updateTable('bandsy.userMatchProfiles').set({ searchRadius: 1 }).where('userId', '=', other.id).executeTakeFirst())
          .numUpdatedRows,
      ),
      instruments: Number((await tx.deleteFrom('bandsy.userInstruments').where('userId', '=', other.id).executeTakeFirst()).numDeletedRows),
    }))
    expect(r).toEqual({ user: 0, profile: 0, instruments: 0 })
    // Derived columns are not the user's to write.
    await expect(
      withUser(env.platform.db.kysely, { sub: me.id, role: 'musician', app: 'bandsy' }, (tx) =>
        tx.updateTable('bandsy.userMatchProfiles').set({ activityScore: 999 }).where('userId', '=', me.id).execute(),
      ),
    ).rejects.toMatchObject({ code: '42501' })
  })

  it('lists the catalogue: instruments by family and a genre tree at most 3 deep', async () => {
    const m = await aMusician(env.platform)
    const c = (await call(m, 'GET', '/catalogue')).json()
    expect(c.instruments.find((i: { name: string }) => i.name === 'Drums').category).toBe('percussion')
    const byId = new Map<string, { name: string; parentGenreId: string | null }>(c.genres.map((g: { id: string }) => [g.id, g]))
    const indie = c.genres.find((g: { name: string }) => g.name === 'Indie Rock')
    const alt = byId.get(indie.parentGenreId)!
    expect(alt.name).toBe('Alternative Rock')
    expect(byId.get(alt.parentGenreId!)!.name).toBe('Rock')
    // A fourth level is refused by the database.
    await expect(
      sql`insert into bandsy.genres (name, parent_genre_id) values ('Too Deep', ${indie.id})`.execute(env.platform.db.kysely),
    ).rejects.toThrow(/at most 3 levels/)
    // So is a cycle.
    const rock = c.genres.find((g: { name: string }) => g.name === 'Rock')
    await expect(
      sql`update bandsy.genres set parent_genre_id = ${indie.id} where id = ${rock.id}`.execute(env.platform.db.kysely),
    ).rejects.toThrow(/own ancestor|at most 3/)
  })

  it('answers 401 without a token', async () => {
    expect((await call(undefined, 'GET', '/me')).statusCode).toBe(401)
  })
})
