import { describe, expect, it } from 'vitest'
import { ENGINE_VERSION, explain, factor, rank, rankByRaw, rawFromValues, recompute, roundDiv, score, strongestFactors } from './engine'
import { activity, cosine, cosineFactor, coverage, distanceDecay, haversineKm, jaccard, rangeFit, recency } from './similarity'
import { decodeFloat32, encodeFloat32, toFloat32 } from './vector-codec'

const spec = (name: string, weight: number, value: number) => ({ name, weight, value, inputs: { name }, reason: `${name} is ${value}` })

describe('match engine', () => {
  it('computes a weighted score on integers and maps it into a range', () => {
    const s = score([spec('a', 3, 1), spec('b', 1, 0)], { min: 50, max: 85 })
    expect(s.factors.map((f) => f.points)).toEqual([10_000, 0])
    expect(s.raw).toBe(7_500)
    expect(s.score).toBe(50 + roundDiv(7_500 * 35, 10_000)) // 76.25 -> 76
    expect(s.score).toBe(76)
    expect(score([spec('a', 1, 0)], { min: 50, max: 85 }).score).toBe(50)
    expect(score([spec('a', 1, 1)], { min: 50, max: 85 }).score).toBe(85)
  })

  it('rounds half up, exactly', () => {
    expect(roundDiv(1, 2)).toBe(1)
    expect(roundDiv(5, 10)).toBe(1)
    expect(roundDiv(4, 10)).toBe(0)
    expect(roundDiv(14, 4)).toBe(4)
    expect(() => roundDiv(-1, 2)).toThrow()
  })

  it('clamps factor values and rejects bad weights', () => {
    expect(factor(spec('x', 1, 1.7)).value).toBe(1)
    expect(factor(spec('x', 1, -3)).points).toBe(0)
    expect(factor(spec('x', 1, Number.NaN)).points).toBe(0)
    expect(() => factor(spec('x', 0.5, 1))).toThrow(/positive integer/)
  })

  it('recomputes the stored score from a stored explanation, through JSON', () => {
    for (let i = 0; i < 200; i++) {
      const specs = [spec('a', 35, Math.sin(i) ** 2), spec('b', 20, (i % 7) / 7), spec('c', 15, 1 / (i + 1)), spec('d', 10, 0.123456789)]
      const s = score(specs, { min: 50, max: 85 })
      const stored = JSON.parse(JSON.stringify(explain(s, { min: 50, max: 85 })))
      expect(stored.engineVersion).toBe(ENGINE_VERSION)
      expect(recompute(stored)).toBe(s.score)
    }
  })

  it('names the strongest factors by contribution', () => {
    const s = score([spec('small', 1, 1), spec('big', 10, 0.5), spec('zero', 5, 0)])
    expect(strongestFactors(s.factors, 2).map((f) => f.name)).toEqual(['big', 'small'])
  })

  it('ranks deterministically whatever the input order', () => {
    const cands = [
      { id: 'c', v: 0.5 },
      { id: 'a', v: 0.9 },
      { id: 'b', v: 0.5 },
    ]
    const f = (c: { v: number }) => [spec('v', 1, c.v)]
    const one = rank(cands, f, { limit: 2 }).map((r) => r.candidate.id)
    const two = rank([...cands].reverse(), f, { limit: 2 }).map((r) => r.candidate.id)
    expect(one).toEqual(['a', 'b'])
    expect(two).toEqual(one)
  })

  it('ranks from raw scores alone exactly as from factors', () => {
    const weights = [35, 20, 15, 15, 10, 5]
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    // Values on the rounding edges and out of range, as well as random ones.
    const edges = [0, 1, 0.5, 0.00005, 0.99995, -0.2, 1.7, Number.NaN]
    const cands = Array.from({ length: 300 }, (_, i) => ({
      id: `c${String(i).padStart(3, '0')}`,
      values: weights.map((_, j) => (i % 3 === 0 ? edges[(i + j) % edges.length] : next())),
    }))
    const specs = (c: (typeof cands)[number]) => weights.map((w, j) => spec(`f${j}`, w, c.values[j]))
    for (const c of cands) expect(rawFromValues(weights, c.values)).toBe(score(specs(c)).raw)
    const full = rank(cands, specs, { limit: 10 })
    const quick = rankByRaw(cands, (c) => rawFromValues(weights, c.values), 10)
    expect(quick.map((r) => [r.candidate.id, r.raw])).toEqual(full.map((r) => [r.candidate.id, r.raw]))
  })
})

describe('similarity helpers', () => {
  it('cosine', () => {
    expect(cosine([1, 0], [1, 0])).toBe(1)
    expect(cosine([1, 0], [0, 1])).toBe(0)
    expect(cosine([1, 0], [-1, 0])).toBe(-1)
    expect(cosine([0, 0], [1, 0])).toBe(0)
    expect(cosine([1, 0], [1, 0, 0])).toBe(0)
    expect(cosineFactor([1, 0], [-1, 0])).toBe(0)
    expect(cosineFactor([1, 1], [1, 0], 0.5)).toBe(1)
  })

  it('tag overlap', () => {
    expect(jaccard(['a', 'b'], ['B', 'c'])).toBeCloseTo(1 / 3)
    expect(jaccard([], [])).toBe(0)
    expect(coverage(['a', 'b'], ['a'])).toBe(0.5)
    expect(coverage([], ['a'])).toBe(1)
    expect(coverage([], ['a'], 0.5)).toBe(0.5)
  })

  it('range fit', () => {
    expect(rangeFit({ min: 50, max: 100 }, { min: 60, max: 80 })).toBe(1)
    expect(rangeFit({ min: 50, max: 100 }, { min: 75, max: 125 })).toBe(0.5)
    expect(rangeFit({ min: 50, max: 100 }, { min: 125, max: 150 })).toBe(0.5)
    expect(rangeFit({ min: 50, max: 100 }, { min: 200, max: 250 })).toBe(0)
    expect(rangeFit({ min: 50, max: 100 }, { min: 70, max: 70 })).toBe(1)
  })

  it('distance, recency and activity', () => {
    expect(distanceDecay(0, 10)).toBe(1)
    expect(distanceDecay(10, 10)).toBe(0.5)
    expect(haversineKm({ lat: 52.52, lng: 13.405 }, { lat: 48.8566, lng: 2.3522 })).toBeCloseTo(878, -1)
    const now = new Date('2025-01-31T00:00:00Z')
    expect(recency(new Date('2025-01-24T00:00:00Z'), now, 7)).toBeCloseTo(0.5)
    expect(recency(null, now, 7)).toBe(0)
    expect(activity(0, 5)).toBe(0)
    expect(activity(5, 5)).toBe(0.5)
  })

  it('float32 codec round-trips and matches Postgres float4send byte order', () => {
    const v = [0.5, -1.25, 3.141592653589793]
    const buf = encodeFloat32(v)
    expect(buf.subarray(0, 4).toString('hex')).toBe('3f000000')
    expect(Array.from(decodeFloat32(buf))).toEqual(Array.from(toFloat32(v)))
  })
})
