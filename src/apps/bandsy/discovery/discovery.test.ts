import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, anInteraction, type Musician, type MusicianOptions } from '../../../../test/support/bandsy'
import { aPlace, discovery, offset } from '../../../../test/support/bandsy-discovery'

let env: TestEnv
const m = (o: MusicianOptions = {}) => aMusician(env.platform, o)
const ids = async (me: Musician, query = '') => {
  const res = await discovery(env, me, query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().candidates.map((c: { profile: { id: string } }) => c.profile.id) as string[]
}

beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

describe('discovery filters', () => {
  it('keeps the radius (on the shown, whole-km distance): the bounding box corners and just outside are left out', async () => {
    const at = aPlace()
    const me = await m({ at, searchRadius: 50 })
    const near = await m({ at: offset(at, 10, 0) })
    const edge = await m({ at: offset(at, 49.7, 0) })
    const outside = await m({ at: offset(at, 50.7, 0) })
    const corner = await m({ at: offset(at, 45, 45) })
    const res = await discovery(env, me)
    const got = res.json().candidates as { profile: { id: string }; distanceKm: number }[]
    expect(got.map((c) => c.profile.id).sort()).toEqual([near.id, edge.id].sort())
    expect(got.find((c) => c.profile.id === near.id)!.distanceKm).toBe(10)
    expect(got.find((c) => c.profile.id === edge.id)!.distanceKm).toBe(50)
    expect(res.body).not.toMatch(/latitude|longitude|"lat"|"lng"/)
    expect(got.map((c) => c.profile.id)).not.toContain(outside.id)
    expect(got.map((c) => c.profile.id)).not.toContain(corner.id)
  })

  it('caps the radius at the plan: 402 naming the cheapest plan above it; premium reaches further', async () => {
    const at = aPlace()
    const free = await m({ at, searchRadius: 300 })
    const premium = await m({ at: offset(at, 1, 0), searchRadius: 300, plan: 'premium' })
    const at120 = await m({ at: offset(at, 120, 0) })
    const at240 = await m({ at: offset(at, 240, 0) })
    const at260 = await m({ at: offset(at, 260, 0) })
    expect(await ids(free)).toEqual([premium.id])
    const refused = await discovery(env, free, '?radiusKm=200')
    expect(refused.statusCode).toBe(402)
    expect(refused.json().error).toMatchObject({
      code: 'payment_required',
      details: { requiredPlan: 'premium', maxRadiusKm: 50, plan: 'free' },
    })
    expect((await discovery(env, free, '?radiusKm=80')).json().error.details.requiredPlan).toBe('basic')
    const wide = await ids(premium)
    expect(wide).toContain(at120.id)
    expect(wide).toContain(at240.id)
    expect(wide).not.toContain(at260.id)
    expect((await discovery(env, premium)).json().radiusKm).toBe(250)
    expect(await ids(premium, '?radiusKm=100')).not.toContain(at240.id)
  })

  it("the caller's age range: no range shows all ages, a range leaves out those without an age", async () => {
    const at = aPlace()
    const ranged = await m({ at, ageRange: { min: 25, max: 35 } })
    const open = await m({ at, age: 50 })
    const thirty = await m({ at, age: 30 })
    const forty = await m({ at, age: 40 })
    const unknown = await m({ at, age: null })
    expect((await ids(ranged)).sort()).toEqual([thirty.id].sort())
    expect((await ids(open)).sort()).toEqual([ranged.id, thirty.id, forty.id, unknown.id].sort())
  })

  it('leaves out self, blocked either way, liked, super-liked, passed, inactive and deleted musicians', async () => {
    const at = aPlace()
    const me = await m({ at })
    const shown = await m({ at })
    const [iBlocked, blockedMe, liked, superLiked, passed, likedMe] = [
      await m({ at }),
      await m({ at }),
      await m({ at }),
      await m({ at }),
      await m({ at }),
      await m({ at }),
    ]
    await m({ at, active: false })
    await m({ at, deleted: true })
    await m({ at: null })
    await anInteraction(env.platform, me, iBlocked, 'block')
    await anInteraction(env.platform, blockedMe, me, 'block')
    await anInteraction(env.platform, me, liked, 'like')
    await anInteraction(env.platform, me, superLiked, 'super_like')
    await anInteraction(env.platform, me, passed, 'pass')
    await anInteraction(env.platform, likedMe, me, 'like')
    expect((await ids(me)).sort()).toEqual([shown.id, likedMe.id].sort())
  })

  it('422 naming what an incomplete profile lacks', async () => {
    const noPlace = await m({ at: null })
    const res = await discovery(env, noPlace)
    expect(res.statusCode).toBe(422)
    expect(res.json().error).toMatchObject({ code: 'unprocessable', details: { missing: ['location'] } })
    const bare = await m({ at: aPlace(), instruments: [], genres: [] })
    expect((await discovery(env, bare)).json().error.details.missing).toEqual(['instrument', 'genre'])
  })
})

describe('ranking', () => {
  it('a complementary drummer nearby outranks a far-away guitarist, with reasons; scores are reproducible', async () => {
    const at = aPlace()
    const me = await m({ at, genres: [{ name: 'Indie Rock', preference: 5 }] })
    const guitarist = await m({ at: offset(at, 40, 0), genres: [{ name: 'Indie Rock', preference: 5 }] })
    const drummer = await m({
      at: offset(at, 2, 0),
      instruments: [{ name: 'Drums', skill: 'intermediate' }],
      genres: [{ name: 'Alternative Rock', preference: 4 }],
    })
    const first = (await discovery(env, me)).json()
    expect(first.candidates.map((c: { profile: { id: string } }) => c.profile.id)).toEqual([drummer.id, guitarist.id])
    const top = first.candidates[0]
    expect(top.score).toBeGreaterThan(first.candidates[1].score)
    expect(top.factors.map((f: { name: string }) => f.name)).toEqual([
      'instrumentComplementarity',
      'genreOverlap',
      'distance',
      'skillFit',
      'activity',
    ])
    expect(top.reasons[0]).toMatch(/Plays Drums \(percussion\), a part your Electric Guitar does not cover/)
    expect(top.factors.find((f: { name: string }) => f.name === 'genreOverlap').reason).toMatch(
      /Alternative Rock is close to your Indie Rock/,
    )
    expect(top.profile.primaryInstrument).toMatchObject({ name: 'Drums', skillLevel: 'intermediate', category: 'percussion' })
    const again = (await discovery(env, me)).json()
    expect(again.candidates.map((c: { score: number; factors: unknown }) => [c.score, c.factors])).toEqual(
      first.candidates.map((c: { score: number; factors: unknown }) => [c.score, c.factors]),
    )
  })

  it('shows age only when the musician chose to', async () => {
    const at = aPlace()
    const me = await m({ at })
    const shows = await m({ at, age: 33, showAge: true })
    const hides = await m({ at, age: 44, showAge: false })
    const got = (await discovery(env, me)).json().candidates as { profile: { id: string; age: number | null } }[]
    expect(got.find((c) => c.profile.id === shows.id)!.profile.age).toBe(33)
    expect(got.find((c) => c.profile.id === hides.id)!.profile.age).toBeNull()
  })
})

describe('the pool', () => {
  it('is exactly the nearest poolSize in the circle', async () => {
    const { withUser } = await import('../../../platform')
    const { loadPool } = await import('./repository')
    const at = aPlace()
    const me = await m({ at })
    const byKm: Record<number, string> = {}
    for (const km of [30, 2, 45, 15, 8]) byKm[km] = (await m({ at: offset(at, 0, km) })).id
    const pool = (poolSize: number) =>
      withUser(env.platform.db.kysely, { sub: me.id, role: 'musician', app: 'bandsy' }, (tx) =>
        loadPool(tx, { radiusKm: 50, ageMin: null, ageMax: null, poolSize }),
      ).then((cs) => cs.map((c) => c.facts.id))
    expect(await pool(2)).toEqual([byKm[2], byKm[8]])
    expect(await pool(3)).toEqual([byKm[2], byKm[8], byKm[15]])
    expect(await pool(4)).toEqual([byKm[2], byKm[8], byKm[15], byKm[30]])
    expect(await pool(10)).toEqual([byKm[2], byKm[8], byKm[15], byKm[30], byKm[45]])
  })
})
