// Issue 10, item 2: nobody can be located by moving one's own point and reading discovery back.
// Every value derived from a distance (distance, factor values, score, reasons, order) comes from
// the coarse distance (whole kilometres), and a musician may move only a few times a day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, BANDSY, bearer, type Musician } from '../../../../test/support/bandsy'
import { aPlace, discovery, offset } from '../../../../test/support/bandsy-discovery'
import { coarseKm, haversineKm, proximity } from '../../../platform'
import { HALF_DISTANCE_KM } from './factors'

let env: TestEnv

beforeAll(async () => {
  env = await createTestEnv({ config: { LOCATION_CHANGES_PER_DAY: '5' } })
})
afterAll(() => env.close())

const moveTo = (m: Musician, p: { lat: number; lng: number }) =>
  env.http.inject({ method: 'PATCH', url: `${BANDSY}/me`, headers: bearer(m), payload: { latitude: p.lat, longitude: p.lng } })

interface Shown {
  profile: { id: string }
  distanceKm: number
  score: number
  factors: { name: string; value: number; reason: string }[]
  reasons: string[]
}

/** Everything discovery says about `target`, and the order of the whole page. */
async function observe(attacker: Musician, target: Musician) {
  const res = await discovery(env, attacker)
  expect(res.statusCode, res.body).toBe(200)
  const all = res.json().candidates as Shown[]
  const seen = all.find((c) => c.profile.id === target.id)!
  expect(seen).toBeDefined()
  return { seen, order: all.map((c) => c.profile.id) }
}

describe('trilateration', () => {
  it('three positions read back cannot tell apart two places of the target 280 m apart', async () => {
    const p1 = aPlace()
    // The target's second place: 200 m north and 200 m east of the first.
    const p2 = offset(p1, 0.2, 0.2)
    const attacker = await aMusician(env.platform, { at: offset(p1, 30, 30), searchRadius: 50 })
    const target = await aMusician(env.platform, { at: p1 })
    // Three listening posts at 5, 8 and 12 km (north, east, south of the first place).
    const posts = [offset(p1, 5, 0), offset(p1, 0, 8), offset(p1, -12, 0)]
    // Precondition: the exact distances from each post differ between the two places by > 100 m...
    for (const post of posts) expect(Math.abs(haversineKm(post, p1) - haversineKm(post, p2))).toBeGreaterThan(0.1)

    const readings = async () => {
      const out = []
      for (const post of posts) {
        expect((await moveTo(attacker, post)).statusCode).toBe(200)
        out.push((await observe(attacker, target)).seen)
      }
      return out
    }
    const atP1 = await readings()
    expect((await moveTo(target, p2)).statusCode).toBe(200)
    // ...the attacker's allowance is 5 moves a day: three more are refused after two, so read
    // the second place with a fresh attacker standing on the same posts.
    const attacker2 = await aMusician(env.platform, { at: offset(p1, 30, 30), searchRadius: 50 })
    const readings2 = async () => {
      const out = []
      for (const post of posts) {
        expect((await moveTo(attacker2, post)).statusCode).toBe(200)
        out.push((await observe(attacker2, target)).seen)
      }
      return out
    }
    const atP2 = await readings2()
    // ...yet everything shown is the same: distance, score, every factor value and reason.
    expect(atP2).toEqual(atP1)
    expect(atP1.map((s) => s.distanceKm)).toEqual([5, 8, 12])
    // The distance factor is the one computed from the shown (rounded) distance, exactly.
    for (const s of atP1) {
      const f = s.factors.find((x) => x.name === 'distance')!
      expect(f.value).toBe(proximity(coarseKm(s.distanceKm), HALF_DISTANCE_KM))
      expect(f.reason).toBe(`${s.distanceKm} km away`)
    }
  })

  it('musicians at the same rounded distance are ordered by id, not by who is nearer', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    // Same profile, 4.6 and 5.4 km away: both show 5 km.
    const a = await aMusician(env.platform, { at: offset(at, 4.6, 0) })
    const b = await aMusician(env.platform, { at: offset(at, -5.4, 0) })
    const [lo, hi] = [a, b].sort((x, y) => (x.id < y.id ? -1 : 1))
    // The nearer one gets the larger id, so an exact-distance order would put it first.
    const near = offset(at, 4.6, 0)
    const far = offset(at, -5.4, 0)
    expect((await moveTo(hi, near)).statusCode).toBe(200)
    expect((await moveTo(lo, far)).statusCode).toBe(200)
    const { order } = await observe(me, lo)
    expect(order).toEqual([lo.id, hi.id])
    const res = (await discovery(env, me)).json().candidates as Shown[]
    expect(res[0].score).toBe(res[1].score)
    expect(res[0].factors).toEqual(res[1].factors)
  })

  it('the radius is judged on the shown distance: 50.4 km is within 50 km, 50.6 km is not', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at, searchRadius: 50 })
    const inside = await aMusician(env.platform, { at: offset(at, 50.4, 0) })
    const outside = await aMusician(env.platform, { at: offset(at, 50.6, 0) })
    const got = (await discovery(env, me)).json().candidates as Shown[]
    expect(got.map((c) => c.profile.id)).toEqual([inside.id])
    expect(got[0].distanceKm).toBe(50)
    expect(got.map((c) => c.profile.id)).not.toContain(outside.id)
  })

  it('the stored match score uses the same coarse distance', async () => {
    const { pairCompatibility } = await import('./compatibility')
    const { withUser } = await import('../../../platform')
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    const x = await aMusician(env.platform, { at: offset(at, 3.2, 0) })
    const y = await aMusician(env.platform, { at: offset(at, 2.8, 0) })
    const claims = { sub: me.id, role: 'musician', app: 'bandsy' } as const
    const [cx, cy] = await withUser(env.platform.db.kysely, claims, async (tx) => [
      await pairCompatibility(tx, me.id, x.id, env.clock.now()),
      await pairCompatibility(tx, me.id, y.id, env.clock.now()),
    ])
    expect(cx).toEqual(cy)
    expect(cx.factors.find((f) => f.name === 'distance')!.inputs).toEqual({ distanceKm: 3, halfDistanceKm: HALF_DISTANCE_KM })
  })
})

describe('moving one’s own point', () => {
  it('five moves a day, then 429 in the error shape; staying put or changing other fields does not count', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    for (let i = 1; i <= 5; i++) expect((await moveTo(me, offset(at, i, 0))).statusCode).toBe(200)
    // The same point again is not a move.
    expect((await moveTo(me, offset(at, 5, 0))).statusCode).toBe(200)
    const refused = await moveTo(me, offset(at, 6, 0))
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(refused.json().error).toMatchObject({ code: 'rate_limited', details: { limitPerDay: 5 } })
    // Nothing moved.
    const mine = (await env.http.inject({ method: 'GET', url: `${BANDSY}/me`, headers: bearer(me) })).json()
    expect(mine.latitude).toBeCloseTo(offset(at, 5, 0).lat, 6)
    // Other changes still work.
    const bio = await env.http.inject({ method: 'PATCH', url: `${BANDSY}/me`, headers: bearer(me), payload: { bio: 'still here' } })
    expect(bio.statusCode).toBe(200)
    // Another musician has an allowance of their own.
    const other = await aMusician(env.platform, { at })
    expect((await moveTo(other, offset(at, 1, 1))).statusCode).toBe(200)
  })
})
