import { describe, expect, it } from 'vitest'
import { score } from '../../../platform'
import { BUDGETS, CATEGORIES, INDUSTRIES, RATE_RANGES, STYLES, TIMELINES } from '../catalog'
import { SCORE_RANGE, factorsFor, rawScoreFor, type BriefFacts, type DesignerFacts } from './factors'

describe('ranking from factor values', () => {
  it('gives exactly the raw score of the explained factors, for every kind of brief and designer', () => {
    let seed = 11
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]
    const some = <T>(xs: readonly T[]) => xs.filter(() => next() < 0.3)
    const maybe = <T>(x: T) => (next() < 0.2 ? null : x)
    for (let i = 0; i < 2_000; i++) {
      const b: BriefFacts = {
        projectType: pick(CATEGORIES),
        projectTitle: null,
        industry: maybe(pick(INDUSTRIES)),
        budget: maybe(pick([...Object.keys(BUDGETS), 'unknown-budget'])),
        timeline: maybe(pick([...Object.keys(TIMELINES), 'unknown-timeline'])),
        styles: some(STYLES),
      }
      const d: DesignerFacts = {
        id: `d${i}`,
        firstName: 'Ada',
        categories: some(CATEGORIES),
        industriesWorked: some(INDUSTRIES),
        designStyles: some(STYLES),
        rateRange: maybe(pick([...Object.keys(RATE_RANGES), 'unknown-rate'])),
        availabilityStatus: pick(['available', 'available', 'busy', 'unavailable']),
      }
      const cos = next() * 2 - 1
      const full = score(factorsFor(b, d, { cosine: cos, shared: [], model: 'm' }), SCORE_RANGE)
      expect(rawScoreFor(b, d, cos)).toBe(full.raw)
    }
  })
})
