// How well two musicians fit, as one score 0..100 (two decimals, for matches.match_score) with the
// named factors behind it (for matches.match_factors). Discovery ranks with the same factors, so
// a match's stored score is the score the pair saw in discovery for the same facts and moment.
import { type Tx, rawFromValues, score, type Factor, notFound } from '../../../platform'
import { loadPairFacts, loadReference } from './facts'
import { WEIGHT_LIST, factorsFor, valuesFor, type PairContext } from './factors'

export interface Compatibility {
  /** 0..100 with two decimals: the engine's raw score (0..10000) / 100. */
  score: number
  factors: Factor[]
}

/** The raw score over 0..10000 as a 0..100 score with two decimals, exactly. */
export const scoreOfRaw = (raw: number) => raw / 100

export function compatibilityOf(c: PairContext): Compatibility {
  const s = score(factorsFor(c))
  return { score: scoreOfRaw(s.raw), factors: s.factors }
}

/** Raw score only (no text), for ranking a pool; equals compatibilityOf(c) * 100. */
export const rawCompatibility = (c: PairContext) => rawFromValues(WEIGHT_LIST, valuesFor(c))

/**
 * The pair's compatibility as `meId` sees it (instrument complement and activity are the other's),
 * read under the caller's row-level security in `tx`. Throws not_found when the other musician is
 * not visible (deleted).
 */
export async function pairCompatibility(tx: Tx, meId: string, otherId: string, now: Date): Promise<Compatibility> {
  const pair = await loadPairFacts(tx, meId, otherId)
  if (!pair) throw notFound('Musician', { userId: otherId })
  return compatibilityOf({ ...pair, now, ref: await loadReference(tx) })
}
