// The scoring every app shares. A candidate's score is a weighted mean of named factors, each in
// [0,1] and each carrying the inputs it used and a sentence a person can read. All arithmetic
// that decides a stored score is on integers, so recomputing from the stored factors gives the
// stored score exactly, on any machine:
//   points  = round(value * 10000)                 (each factor, half away from zero)
//   raw     = roundDiv(sum(weight * points), sum(weight))   in 0..10000, weights are integers
//   scaled  = min + roundDiv(raw * (max - min), 10000)      for a score range such as 50..85
// roundDiv(a, b) = floor((2a + b) / 2b): round half up on non-negative integers.

export const ENGINE_VERSION = 'engine-v1'
export const POINTS = 10_000

export interface FactorSpec {
  /** Stable identifier, e.g. 'semantic', 'industry'. */
  name: string
  /** Positive integer weight. */
  weight: number
  /** In [0,1]; clamped, NaN counts as 0. */
  value: number
  /** What the factor looked at, for the explanation. */
  inputs: Record<string, unknown>
  /** Why it scored as it did, in words that name the facts. */
  reason: string
}

export interface Factor extends FactorSpec {
  /** value on the integer 0..10000 scale; the only number the score is computed from. */
  points: number
}

export interface ScoreRange {
  min: number
  max: number
}

export interface Scored {
  factors: Factor[]
  /** 0..10000 */
  raw: number
  /** raw mapped into the range. */
  score: number
}

export interface Explanation {
  engineVersion: string
  formula: string
  range: ScoreRange
  factors: Factor[]
  raw: number
  score: number
}

export const FORMULA =
  'points = round(value * 10000); raw = roundDiv(sum(weight * points), sum(weight)); score = min + roundDiv(raw * (max - min), 10000); roundDiv(a, b) = floor((2a + b) / (2b))'

export const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)

/** Round-half-up division of a non-negative integer by a positive integer, exact. */
export function roundDiv(a: number, b: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b <= 0)
    throw new RangeError(`roundDiv(${a}, ${b}) needs a >= 0 and b > 0 integers`)
  return Math.floor((2 * a + b) / (2 * b))
}

export function factor(spec: FactorSpec): Factor {
  if (!Number.isInteger(spec.weight) || spec.weight <= 0) throw new RangeError(`factor ${spec.name}: weight must be a positive integer`)
  const value = clamp01(spec.value)
  return { ...spec, value, points: Math.round(value * POINTS) }
}

/**
 * The raw score from weights and values alone: exactly what score() computes, without building
 * factors, inputs or reasons. For ranking many candidates, where only the order matters.
 */
export function rawFromValues(weights: readonly number[], values: readonly number[]): number {
  let num = 0
  let den = 0
  for (let i = 0; i < weights.length; i++) {
    num += weights[i] * Math.round(clamp01(values[i]) * POINTS)
    den += weights[i]
  }
  return den === 0 ? 0 : roundDiv(num, den)
}

export function rawScore(factors: Pick<Factor, 'weight' | 'points'>[]): number {
  let num = 0
  let den = 0
  for (const f of factors) {
    num += f.weight * f.points
    den += f.weight
  }
  return den === 0 ? 0 : roundDiv(num, den)
}

export function scaleScore(raw: number, range: ScoreRange): number {
  return range.min + roundDiv(raw * (range.max - range.min), POINTS)
}

export function score(specs: FactorSpec[], range: ScoreRange = { min: 0, max: 100 }): Scored {
  const factors = specs.map(factor)
  const raw = rawScore(factors)
  return { factors, raw, score: scaleScore(raw, range) }
}

export function explain(s: Scored, range: ScoreRange): Explanation {
  return { engineVersion: ENGINE_VERSION, formula: FORMULA, range, factors: s.factors, raw: s.raw, score: s.score }
}

/** Recomputes a score from a stored explanation, using only weights and points. */
export function recompute(e: Pick<Explanation, 'factors' | 'range'>): number {
  return scaleScore(rawScore(e.factors), e.range)
}

/** Factors by how much they added to the score, largest first; ties keep their given order. */
export function strongestFactors(factors: Factor[], n: number): Factor[] {
  return factors
    .map((f, i) => ({ f, i, c: f.weight * f.points }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .slice(0, n)
    .map((x) => x.f)
}

const byRawThenId = <C extends { id: string }>(a: { raw: number; candidate: C }, b: { raw: number; candidate: C }) =>
  b.raw - a.raw || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0)

/**
 * Scores every candidate and keeps the best `limit`, ordered by score (then raw score, then id)
 * so the order never depends on input order.
 */
export function rank<C extends { id: string }>(
  candidates: C[],
  factorsOf: (c: C) => FactorSpec[],
  opts: { limit: number; range?: ScoreRange },
): (Scored & { candidate: C })[] {
  const range = opts.range ?? { min: 0, max: 100 }
  const scored = candidates.map((c) => ({ candidate: c, ...score(factorsOf(c), range) }))
  scored.sort(byRawThenId)
  return scored.slice(0, opts.limit)
}

/**
 * rank() for many candidates: `rawOf` gives each one's raw score (rawFromValues over the same
 * weights and values its factors would have), so no factor, input or reason is built for the
 * candidates that are dropped. Same order as rank(); score the kept ones with score().
 */
export function rankByRaw<C extends { id: string }>(
  candidates: C[],
  rawOf: (c: C) => number,
  limit: number,
): { candidate: C; raw: number }[] {
  const scored = candidates.map((c) => ({ candidate: c, raw: rawOf(c) }))
  scored.sort(byRawThenId)
  return scored.slice(0, limit)
}
