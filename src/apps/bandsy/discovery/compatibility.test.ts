import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, BERLIN, type Musician } from '../../../../test/support/bandsy'
import { withUser, recompute } from '../../../platform'
import { pairCompatibility } from './compatibility'

let env: TestEnv
const claims = (m: Musician) => ({ sub: m.id, role: 'musician', app: 'bandsy' })
const pair = (a: Musician, b: Musician) =>
  withUser(env.platform.db.kysely, claims(a), (tx) => pairCompatibility(tx, a.id, b.id, env.platform.clock.now()))
const factor = (c: Awaited<ReturnType<typeof pair>>, name: string) => c.factors.find((f) => f.name === name)!

beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

describe('pairCompatibility', () => {
  it('scores 0..100 with two decimals from named factors that recompute to the score', async () => {
    const a = await aMusician(env.platform)
    const b = await aMusician(env.platform, { instruments: [{ name: 'Drums', skill: 'intermediate' }] })
    const c = await pair(a, b)
    expect(c.factors.map((f) => f.name)).toEqual(['instrumentComplementarity', 'genreOverlap', 'distance', 'skillFit', 'activity'])
    expect(c.score).toBeGreaterThan(0)
    expect(c.score).toBeLessThanOrEqual(100)
    expect(Math.round(c.score * 100)).toBe(c.score * 100)
    expect(recompute({ factors: c.factors, range: { min: 0, max: 10000 } }) / 100).toBe(c.score)
    for (const f of c.factors) expect(f.reason.length).toBeGreaterThan(5)
    expect(await pair(a, b)).toEqual(c)
  })

  it('a drummer complements a guitarist; another guitarist doubles up; a bassist is the same family', async () => {
    const me = await aMusician(env.platform)
    const drummer = await aMusician(env.platform, { instruments: [{ name: 'Drums', skill: 'intermediate' }] })
    const guitarist = await aMusician(env.platform)
    const bassist = await aMusician(env.platform, { instruments: [{ name: 'Bass Guitar', skill: 'intermediate' }] })
    const d = factor(await pair(me, drummer), 'instrumentComplementarity')
    const g = factor(await pair(me, guitarist), 'instrumentComplementarity')
    const b = factor(await pair(me, bassist), 'instrumentComplementarity')
    expect(d.value).toBe(1)
    expect(d.reason).toMatch(/Drums \(percussion\)/)
    expect(b.value).toBe(0.5)
    expect(g.value).toBe(0.2)
    expect(g.reason).toMatch(/double up/)
  })

  it('genres: preference-weighted, a parent or child genre counts half', async () => {
    const me = await aMusician(env.platform, { genres: [{ name: 'Alternative Rock', preference: 4 }] })
    const same = await aMusician(env.platform, { genres: [{ name: 'Alternative Rock', preference: 2 }] })
    const child = await aMusician(env.platform, { genres: [{ name: 'Indie Rock', preference: 5 }] })
    const none = await aMusician(env.platform, { genres: [{ name: 'Techno', preference: 5 }] })
    expect(factor(await pair(me, same), 'genreOverlap').value).toBe(1)
    const c = factor(await pair(me, child), 'genreOverlap')
    expect(c.value).toBe(0.5)
    expect(c.reason).toMatch(/Indie Rock is close to your Alternative Rock/)
    expect(factor(await pair(me, none), 'genreOverlap').value).toBe(0)
    const inverted = await aMusician(env.platform, {
      genres: [
        { name: 'Rock', preference: 5 },
        { name: 'Jazz', preference: 1 },
      ],
    })
    const mirrored = await aMusician(env.platform, {
      genres: [
        { name: 'Rock', preference: 1 },
        { name: 'Jazz', preference: 5 },
      ],
    })
    const twin = await aMusician(env.platform, {
      genres: [
        { name: 'Rock', preference: 5 },
        { name: 'Jazz', preference: 1 },
      ],
    })
    expect(factor(await pair(inverted, twin), 'genreOverlap').value).toBeCloseTo(1, 10)
    expect(factor(await pair(inverted, mirrored), 'genreOverlap').value).toBeLessThan(0.5)
  })

  it('skill, distance and activity name their facts', async () => {
    const me = await aMusician(env.platform, { instruments: [{ name: 'Piano', skill: 'beginner', years: 1 }] })
    const pro = await aMusician(env.platform, {
      instruments: [{ name: 'Drums', skill: 'professional', years: 20 }],
      at: { lat: BERLIN.lat + 0.2, lng: BERLIN.lng },
    })
    const c = await pair(me, pro)
    expect(factor(c, 'skillFit').value).toBeLessThan(0.02)
    expect(factor(c, 'skillFit').reason).toMatch(/professional level, you at beginner/)
    expect(factor(c, 'distance').reason).toBe('22 km away')
    expect(factor(c, 'activity').reason).toMatch(/^Active today, 0 actions/)
  })

  it('a deleted musician is not found', async () => {
    const me = await aMusician(env.platform)
    const gone = await aMusician(env.platform, { deleted: true })
    await expect(pair(me, gone)).rejects.toMatchObject({ code: 'not_found' })
  })
})
