import { describe, expect, it } from 'vitest'
import { DISTANCE_STEP_KM, coarseKm, describeDistance, distanceFactor, prefilterRadiusKm, proximity, withinRadius } from './geo'

describe('coarse distances', () => {
  it('round to the step, half up; a finer step or a non-distance is refused', () => {
    expect(DISTANCE_STEP_KM).toBe(1)
    expect([0, 0.49, 0.5, 4.51, 12.2].map((d) => coarseKm(d))).toEqual([0, 0, 1, 5, 12])
    expect(coarseKm(12.2, 5)).toBe(10)
    expect(() => coarseKm(3, 0.1)).toThrow(RangeError)
    expect(() => coarseKm(Number.NaN)).toThrow(RangeError)
    expect(() => coarseKm(-1)).toThrow(RangeError)
  })

  it('everything derived from a distance is the same for places the coarse distance does not tell apart', () => {
    const a = distanceFactor({ weight: 20, distance: coarseKm(4.51), halfDistanceKm: 20 })
    const b = distanceFactor({ weight: 20, distance: coarseKm(5.49), halfDistanceKm: 20 })
    expect(a).toEqual(b)
    expect(a.value).toBe(0.5 ** (5 / 20))
    expect(a.reason).toBe('5 km away')
    expect(proximity(coarseKm(0.3), 20)).toBe(1)
    expect(describeDistance(coarseKm(0.3))).toBe('Less than a kilometre away')
    expect(describeDistance(null)).toBe('Distance unknown')
  })

  it('the radius reads the coarse distance; the SQL pre-filter is wide enough for it', () => {
    expect(withinRadius(coarseKm(50.49), 50)).toBe(true)
    expect(withinRadius(coarseKm(50.5), 50)).toBe(false)
    expect(prefilterRadiusKm(50)).toBeGreaterThanOrEqual(50.5)
  })
})
