// Bandsy's compatibility factors between two musicians. Each value has a function of its own:
// valuesFor() ranks a whole pool from them without building text, factorsFor() adds the inputs
// and the sentence for the few candidates shown.
import {
  type CoarseKm,
  type FactorSpec,
  activity,
  distanceFactor as coarseDistanceFactor,
  proximity,
  recency,
  BandsySkillLevelValues,
} from '../../../platform'
import type { GenreFact, InstrumentFact, MusicianFacts, Reference } from './facts'

/** Integer weights summing to 100, so a weight reads as a percentage of the score. */
export const WEIGHTS = { instrumentComplementarity: 30, genreOverlap: 25, distance: 20, skillFit: 15, activity: 10 } as const
export const WEIGHT_LIST = [WEIGHTS.instrumentComplementarity, WEIGHTS.genreOverlap, WEIGHTS.distance, WEIGHTS.skillFit, WEIGHTS.activity]

/** A musician this far away counts half as close as one next door. */
export const HALF_DISTANCE_KM = 20
/** Activity: this many actions in 30 days count half; last seen this many days ago counts half. */
export const HALF_ACTIVITY = 10
export const ACTIVITY_HALF_LIFE_DAYS = 7
/** Two instruments alike: the same one, the same family (instruments.category), or different families. */
export const SAME_INSTRUMENT = 0.2
export const SAME_FAMILY = 0.5
/** A secondary instrument's complement counts for this share of a primary one's. */
export const SECONDARY_SHARE = 0.8
/** Genres one step apart in the tree (parent and child) count half; each further step halves again. */
export const GENRE_STEP = 0.5
const SKILLS: readonly string[] = BandsySkillLevelValues

export interface PairContext {
  me: MusicianFacts
  other: MusicianFacts
  /** Coarse only (platform geo): nothing here may tell apart places the shown distance does not. */
  distanceKm: CoarseKm | null
  now: Date
  ref: Reference
}

// Instruments ----------------------------------------------------------------------------------

function likeness(a: string, b: string, ref: Reference): number {
  if (a === b) return SAME_INSTRUMENT
  const ca = ref.instruments.get(a)?.category
  return ca && ca === ref.instruments.get(b)?.category ? SAME_FAMILY : 1
}

/** The part the other brings that the caller lacks most: their best instrument by how new it is to the caller's set. */
function bestComplement(me: InstrumentFact[], other: InstrumentFact[], ref: Reference) {
  let best: { ins: InstrumentFact; closest: InstrumentFact | undefined; novelty: number; value: number } | undefined
  for (const ins of other) {
    let closest: InstrumentFact | undefined
    let novelty = 1
    for (const mine of me) {
      const l = likeness(mine.id, ins.id, ref)
      if (l < novelty || (l === novelty && closest && mine.primary && !closest.primary)) [novelty, closest] = [l, mine]
    }
    const value = novelty * (ins.primary ? 1 : SECONDARY_SHARE)
    if (!best || value > best.value || (value === best.value && ins.id < best.ins.id)) best = { ins, closest, novelty, value }
  }
  return best
}

const instrumentValue = (c: PairContext) => bestComplement(c.me.instruments, c.other.instruments, c.ref)?.value ?? 0

function instrumentFactor(c: PairContext): FactorSpec {
  const best = bestComplement(c.me.instruments, c.other.instruments, c.ref)
  const name = (id: string | undefined) => (id ? (c.ref.instruments.get(id)?.name ?? 'an instrument') : 'an instrument')
  const family = (id: string) => c.ref.instruments.get(id)?.category ?? 'other'
  let reason = 'Plays no instrument yet'
  if (best) {
    const theirs = `${best.ins.primary ? 'Plays' : 'Also plays'} ${name(best.ins.id)}`
    const yours = name((c.me.instruments.find((i) => i.primary) ?? c.me.instruments[0])?.id)
    reason =
      best.novelty === 1
        ? `${theirs} (${family(best.ins.id)}), a part your ${yours} does not cover`
        : best.novelty === SAME_FAMILY
          ? `${theirs}, another ${family(best.ins.id)} instrument like your ${name(best.closest?.id)}`
          : `${theirs} like you, so you would double up rather than complement each other`
  }
  return {
    name: 'instrumentComplementarity',
    weight: WEIGHTS.instrumentComplementarity,
    value: best?.value ?? 0,
    inputs: {
      mine: c.me.instruments.map((i) => name(i.id)),
      theirs: c.other.instruments.map((i) => name(i.id)),
      best: best ? name(best.ins.id) : null,
      novelty: best?.novelty ?? 0,
    },
    reason,
  }
}

// Genres ---------------------------------------------------------------------------------------

/** GENRE_STEP ** (steps between the two genres through their nearest common ancestor); 0 in different trees. */
export function genreSimilarity(a: string, b: string, ref: Reference): number {
  if (a === b) return 1
  const la = ref.genres.get(a)?.lineage ?? [a]
  const lb = ref.genres.get(b)?.lineage ?? [b]
  for (let i = 0; i < la.length; i++) {
    const j = lb.indexOf(la[i])
    if (j >= 0) return GENRE_STEP ** (i + j)
  }
  return 0
}

const cross = (x: GenreFact[], y: GenreFact[], ref: Reference) => {
  let s = 0
  for (const g of x) for (const h of y) s += g.preference * h.preference * genreSimilarity(g.id, h.id, ref)
  return s
}

/**
 * A cosine over preference-weighted genres where related genres overlap partially: both sides'
 * preferences count, identical tastes give 1, Indie Rock against Alternative Rock alone gives 0.5.
 */
function genreValue(c: PairContext): number {
  const norm = cross(c.me.genres, c.me.genres, c.ref) * cross(c.other.genres, c.other.genres, c.ref)
  return norm > 0 ? cross(c.me.genres, c.other.genres, c.ref) / Math.sqrt(norm) : 0
}

function genreFactor(c: PairContext): FactorSpec {
  const name = (id: string) => c.ref.genres.get(id)?.name ?? 'a genre'
  const pairs: { g: GenreFact; h: GenreFact; sim: number; weight: number }[] = []
  for (const g of c.me.genres)
    for (const h of c.other.genres) {
      const sim = genreSimilarity(g.id, h.id, c.ref)
      if (sim >= GENRE_STEP) pairs.push({ g, h, sim, weight: g.preference * h.preference * sim })
    }
  pairs.sort((a, b) => b.weight - a.weight || (a.g.id + a.h.id < b.g.id + b.h.id ? -1 : 1))
  const shared = pairs.filter((p) => p.sim === 1).slice(0, 3)
  const related = pairs.filter((p) => p.sim < 1).slice(0, 2)
  const parts: string[] = []
  if (shared.length)
    parts.push(`You both play ${joinAnd(shared.map((p) => `${name(p.g.id)} (you ${p.g.preference}/5, them ${p.h.preference}/5)`))}`)
  if (related.length)
    parts.push(
      `${shared.length ? 'and their' : 'Their'} ${joinAnd(related.map((p) => `${name(p.h.id)} is close to your ${name(p.g.id)}`))}`,
    )
  return {
    name: 'genreOverlap',
    weight: WEIGHTS.genreOverlap,
    value: genreValue(c),
    inputs: {
      mine: c.me.genres.map((g) => ({ genre: name(g.id), preference: g.preference })),
      theirs: c.other.genres.map((g) => ({ genre: name(g.id), preference: g.preference })),
      step: GENRE_STEP,
    },
    reason: parts.length ? parts.join(' ') : 'No genres in common',
  }
}

// Skill, distance, activity --------------------------------------------------------------------

const averageYears = (xs: InstrumentFact[]) => {
  const ys = xs.map((x) => x.years).filter((y): y is number => y !== null)
  return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : null
}

/** Close levels play well together; similar years of experience add a quarter of the weight. */
function skillParts(c: PairContext) {
  const a = c.me.skillAverage
  const b = c.other.skillAverage
  const level = a === null || b === null ? 0.5 : 1 - Math.abs(a - b) / 3
  const ya = averageYears(c.me.instruments)
  const yb = averageYears(c.other.instruments)
  const years = ya === null || yb === null ? null : 1 - Math.min(Math.abs(ya - yb), 20) / 20
  return { a, b, ya, yb, level, value: years === null ? level : 0.75 * level + 0.25 * years }
}

const skillValue = (c: PairContext) => skillParts(c).value
const skillName = (avg: number) => SKILLS[Math.min(3, Math.max(0, Math.round(avg) - 1))]

function skillFactor(c: PairContext): FactorSpec {
  const s = skillParts(c)
  let reason = 'Skill level unknown'
  if (s.a !== null && s.b !== null) {
    const lead =
      Math.abs(s.a - s.b) < 0.5
        ? `A similar level: both around ${skillName(s.b)}`
        : `They play at ${skillName(s.b)} level, you at ${skillName(s.a)}`
    reason = s.ya !== null && s.yb !== null ? `${lead}; ${fmtYears(s.yb)} of experience to your ${fmtYears(s.ya)}` : lead
  }
  return {
    name: 'skillFit',
    weight: WEIGHTS.skillFit,
    value: s.value,
    inputs: { mine: s.a, theirs: s.b, myYears: s.ya, theirYears: s.yb },
    reason,
  }
}

const distanceValue = (c: PairContext) => (c.distanceKm === null ? 0 : proximity(c.distanceKm, HALF_DISTANCE_KM))

const distanceFactor = (c: PairContext): FactorSpec =>
  coarseDistanceFactor({ weight: WEIGHTS.distance, distance: c.distanceKm, halfDistanceKm: HALF_DISTANCE_KM })

const activityValue = (c: PairContext) =>
  0.5 * activity(c.other.activityScore, HALF_ACTIVITY) + 0.5 * recency(c.other.lastActive, c.now, ACTIVITY_HALF_LIFE_DAYS)

function activityFactor(c: PairContext): FactorSpec {
  const days = c.other.lastActive ? Math.max(0, Math.floor((c.now.getTime() - c.other.lastActive.getTime()) / 86_400_000)) : null
  const seen = days === null ? 'Not active yet' : days === 0 ? 'Active today' : days === 1 ? 'Active yesterday' : `Active ${days} days ago`
  const n = c.other.activityScore
  return {
    name: 'activity',
    weight: WEIGHTS.activity,
    value: activityValue(c),
    inputs: { activityScore: n, lastActive: c.other.lastActive?.toISOString() ?? null },
    reason: `${seen}, ${n} ${n === 1 ? 'action' : 'actions'} in the last 30 days`,
  }
}

// Together -------------------------------------------------------------------------------------

/** The factor values in WEIGHT_LIST order, for rawFromValues(). */
export function valuesFor(c: PairContext): number[] {
  return [instrumentValue(c), genreValue(c), distanceValue(c), skillValue(c), activityValue(c)]
}

export function factorsFor(c: PairContext): FactorSpec[] {
  return [instrumentFactor(c), genreFactor(c), distanceFactor(c), skillFactor(c), activityFactor(c)]
}

const fmtYears = (y: number) => `${Math.round(y)} ${Math.round(y) === 1 ? 'year' : 'years'}`
const joinAnd = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`)
