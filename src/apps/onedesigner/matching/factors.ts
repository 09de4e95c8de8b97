// OneDesigner's factors: how well an approved, available designer in the brief's category fits
// the brief. Each factor names the facts it used; the three strongest become the match reasons.
import { rawFromValues, type FactorSpec, type ScoreRange, cosine, coverage, intersection, rangeFit, words } from '../../../platform'
import {
  BUDGETS,
  CATEGORY_LABELS,
  RATE_RANGES,
  TIMELINES,
  TIMELINE_LABELS,
  type Budget,
  type Category,
  type RateRange,
  type Timeline,
} from '../catalog'

/** The seed's CHECK on matches.score. */
export const SCORE_RANGE: ScoreRange = { min: 50, max: 85 }

/** Integer weights; they sum to 100 so a weight reads as a percentage. */
export const WEIGHTS = { semantic: 35, industry: 20, styles: 15, budget: 15, timeline: 10, category: 5 } as const

/** Hours a typical brief needs; turns a total budget into the hourly rate it can pay. */
export const PROJECT_HOURS = 60
/** Hours a week one designer gives a client project before the timeline is at risk. */
export const WEEKLY_CAPACITY_HOURS = 30
/** Cosine at which two short texts by different authors already read as the same subject. */
export const SEMANTIC_FULL = 0.5

export interface BriefFacts {
  projectType: string
  projectTitle: string | null
  industry: string | null
  budget: string | null
  timeline: string | null
  styles: string[]
}

export interface DesignerFacts {
  id: string
  firstName: string
  categories: string[]
  industriesWorked: string[]
  designStyles: string[]
  rateRange: string | null
  availabilityStatus: string
}

const STOP = new Set(
  'a an and are as at be by for from has have i in is it its of on or our that the their this to we with you your my me who what will can categories industries styles tools skills deliverables design designer designs'.split(
    ' ',
  ),
)

const pct = (x: number) => `${Math.round(x * 100)}%`
const money = (n: number) => (n >= 1000 ? `$${n / 1000}k` : `$${n}`)
const nice = (s: string) => s.replace(/-/g, ' ')
const timelineLabel = (t: string) => TIMELINE_LABELS[t as Timeline] ?? nice(t)
const joinAnd = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`)
const round4 = (x: number) => Math.round(x * 10_000) / 10_000

/** Meaningful words both texts use, in the brief's order. */
export function sharedWords(briefText: string, designerText: string, max = 3): string[] {
  const theirs = new Set(words(designerText))
  const out: string[] = []
  for (const w of words(briefText)) {
    if (w.length > 2 && !STOP.has(w) && theirs.has(w) && !out.includes(w)) out.push(w)
    if (out.length === max) break
  }
  return out
}

// Each factor's value has a function of its own: factorsFor() builds the explained factors from
// them, and rawScoreFor() ranks hundreds of candidates from them without building any text.
const semanticValue = (cos: number) => Math.max(0, cos) / SEMANTIC_FULL
const categoryValue = (b: BriefFacts, d: DesignerFacts) => (d.categories.includes(b.projectType) ? 1 : 0)
const industryValue = (b: BriefFacts, d: DesignerFacts) => (!b.industry ? 0.5 : d.industriesWorked.includes(b.industry) ? 1 : 0)
const stylesValue = (b: BriefFacts, d: DesignerFacts) => (b.styles.length === 0 ? 0.5 : coverage(b.styles, d.designStyles))

export function semanticFactor(cos: number, shared: string[], model: string): FactorSpec {
  const value = semanticValue(cos)
  const reason = shared.length
    ? `Profile speaks to the brief (${pct(Math.max(0, cos))} text similarity), sharing ${joinAnd(shared.map((w) => `"${w}"`))}`
    : `Profile text is ${pct(Math.max(0, cos))} similar to the brief`
  return {
    name: 'semantic',
    weight: WEIGHTS.semantic,
    value,
    inputs: { cosine: round4(cos), full: SEMANTIC_FULL, sharedWords: shared, model },
    reason,
  }
}

export function categoryFactor(b: BriefFacts, d: DesignerFacts): FactorSpec {
  const has = categoryValue(b, d) === 1
  const name = CATEGORY_LABELS[b.projectType as Category] ?? b.projectType
  return {
    name: 'category',
    weight: WEIGHTS.category,
    value: categoryValue(b, d),
    inputs: { projectType: b.projectType, categories: d.categories },
    reason: has ? `Works in ${name}, the brief's project type` : `Does not list ${name} among their categories`,
  }
}

export function industryFactor(b: BriefFacts, d: DesignerFacts): FactorSpec {
  const inputs = { industry: b.industry, industriesWorked: d.industriesWorked }
  if (!b.industry)
    return {
      name: 'industry',
      weight: WEIGHTS.industry,
      value: industryValue(b, d),
      inputs,
      reason: `The brief names no industry; has worked in ${joinAnd(d.industriesWorked.map(nice)) || 'no listed industry'}`,
    }
  const value = industryValue(b, d)
  const has = value === 1
  return {
    name: 'industry',
    weight: WEIGHTS.industry,
    value,
    inputs,
    reason: has
      ? `Has worked in ${nice(b.industry)}, the brief's industry`
      : `Has not worked in ${nice(b.industry)} yet${d.industriesWorked.length ? ` (has worked in ${joinAnd(d.industriesWorked.map(nice))})` : ''}`,
  }
}

export function stylesFactor(b: BriefFacts, d: DesignerFacts): FactorSpec {
  const inputs = { wanted: b.styles, offered: d.designStyles }
  if (b.styles.length === 0)
    return {
      name: 'styles',
      weight: WEIGHTS.styles,
      value: stylesValue(b, d),
      inputs,
      reason: `The brief asks for no style; designs in ${joinAnd(d.designStyles.map(nice)) || 'no listed style'}`,
    }
  const shared = intersection(b.styles, d.designStyles)
  const value = stylesValue(b, d)
  return {
    name: 'styles',
    weight: WEIGHTS.styles,
    value,
    inputs: { ...inputs, shared },
    reason: shared.length
      ? `Designs in the ${joinAnd(shared.map(nice))} style${shared.length > 1 ? 's' : ''} the brief asks for`
      : `Designs in ${joinAnd(d.designStyles.map(nice)) || 'no listed'} style; the brief asks for ${joinAnd(b.styles.map(nice))}`,
  }
}

const budgetOf = (b: string | null) => (b && b in BUDGETS ? BUDGETS[b as Budget] : undefined)
const rateOf = (r: string | null) => (r && r in RATE_RANGES ? RATE_RANGES[r as RateRange] : undefined)
const timelineOf = (t: string | null) => (t && t in TIMELINES ? TIMELINES[t as Timeline] : undefined)

/** Rate ranges whose fit with a budget is above zero: the cheap SQL pre-rank prefers them. */
export function ratesFittingBudget(budget: string | null): string[] {
  const b = budgetOf(budget)
  if (!b) return Object.keys(RATE_RANGES)
  const wanted = { min: b.min / PROJECT_HOURS, max: b.max / PROJECT_HOURS }
  return (Object.keys(RATE_RANGES) as RateRange[]).filter((r) => rangeFit(wanted, RATE_RANGES[r]) > 0.5)
}

const BUDGET_UNKNOWN = 0.5
function budgetValue(b: BriefFacts, d: DesignerFacts): number {
  const budget = budgetOf(b.budget)
  const rate = rateOf(d.rateRange)
  if (!budget || !rate) return BUDGET_UNKNOWN
  return rangeFit({ min: budget.min / PROJECT_HOURS, max: budget.max / PROJECT_HOURS }, rate)
}

export function budgetFactor(b: BriefFacts, d: DesignerFacts): FactorSpec {
  const budget = budgetOf(b.budget)
  const rate = rateOf(d.rateRange)
  const inputs: Record<string, unknown> = { budget: b.budget, rateRange: d.rateRange, projectHours: PROJECT_HOURS }
  if (!budget)
    return {
      name: 'budget',
      weight: WEIGHTS.budget,
      value: BUDGET_UNKNOWN,
      inputs,
      reason: `The brief names no budget; charges ${d.rateRange ?? 'an unstated rate'}`,
    }
  if (!rate)
    return {
      name: 'budget',
      weight: WEIGHTS.budget,
      value: BUDGET_UNKNOWN,
      inputs,
      reason: `Has not stated a rate for the ${b.budget} budget`,
    }
  const wanted = { min: budget.min / PROJECT_HOURS, max: budget.max / PROJECT_HOURS }
  const value = budgetValue(b, d)
  const hours = `${Math.round(budget.min / rate.max)}-${Math.round(budget.max / rate.min)} hours`
  return {
    name: 'budget',
    weight: WEIGHTS.budget,
    value,
    inputs: { ...inputs, affordableRate: { min: round4(wanted.min), max: round4(wanted.max) }, rate },
    reason:
      value >= 0.5
        ? `Rate ${d.rateRange} suits the ${money(budget.min)}-${money(budget.max)} budget (about ${hours} of work)`
        : `Rate ${d.rateRange} is outside the ${money(budget.min)}-${money(budget.max)} budget (about ${hours} of work)`,
  }
}

/** How the timeline judges a designer; the factor explains it, the ranking needs only `value`. */
function timelineFit(b: BriefFacts, d: DesignerFacts) {
  const timeline = timelineOf(b.timeline)
  const budget = budgetOf(b.budget)
  const rate = rateOf(d.rateRange)
  if (d.availabilityStatus !== 'available') return { value: 0, case: 'unavailable' as const }
  if (!timeline) return { value: 0.75, case: 'no-timeline' as const }
  if (!budget || !rate) return { value: 0.75, case: 'no-estimate' as const }
  // The budget at the designer's mid rate buys so many hours; the timeline spreads them over weeks.
  const hours = (budget.min + budget.max) / 2 / ((rate.min + rate.max) / 2)
  const perWeek = hours / timeline.weeks
  return {
    value: perWeek <= WEEKLY_CAPACITY_HOURS ? 1 : WEEKLY_CAPACITY_HOURS / perWeek,
    case: 'estimated' as const,
    weeks: timeline.weeks,
    hours,
    perWeek,
  }
}

export function timelineFactor(b: BriefFacts, d: DesignerFacts): FactorSpec {
  const inputs: Record<string, unknown> = {
    timeline: b.timeline,
    availability: d.availabilityStatus,
    weeklyCapacityHours: WEEKLY_CAPACITY_HOURS,
  }
  const fit = timelineFit(b, d)
  if (fit.case === 'unavailable')
    return { name: 'timeline', weight: WEIGHTS.timeline, value: fit.value, inputs, reason: `Is ${d.availabilityStatus} at the moment` }
  if (fit.case === 'no-timeline')
    return { name: 'timeline', weight: WEIGHTS.timeline, value: fit.value, inputs, reason: 'Available now; the brief sets no timeline' }
  if (fit.case === 'no-estimate')
    return {
      name: 'timeline',
      weight: WEIGHTS.timeline,
      value: fit.value,
      inputs,
      reason: `Available now for a ${timelineLabel(b.timeline!)} timeline`,
    }
  const { value, weeks, hours, perWeek } = fit
  return {
    name: 'timeline',
    weight: WEIGHTS.timeline,
    value,
    inputs: { ...inputs, weeks, estimatedHours: Math.round(hours), hoursPerWeek: round4(perWeek) },
    reason: `Available now: about ${Math.round(perWeek)} hours a week fits the ${timelineLabel(b.timeline!)} timeline`,
  }
}

export function factorsFor(b: BriefFacts, d: DesignerFacts, semantic: { cosine: number; shared: string[]; model: string }): FactorSpec[] {
  return [
    semanticFactor(semantic.cosine, semantic.shared, semantic.model),
    industryFactor(b, d),
    stylesFactor(b, d),
    budgetFactor(b, d),
    timelineFactor(b, d),
    categoryFactor(b, d),
  ]
}

const WEIGHT_LIST = [WEIGHTS.semantic, WEIGHTS.industry, WEIGHTS.styles, WEIGHTS.budget, WEIGHTS.timeline, WEIGHTS.category]

/** score(factorsFor(b, d, ...)).raw, computed from the values alone: for ranking many candidates. */
export function rawScoreFor(b: BriefFacts, d: DesignerFacts, cos: number): number {
  return rawFromValues(WEIGHT_LIST, [
    semanticValue(cos),
    industryValue(b, d),
    stylesValue(b, d),
    budgetValue(b, d),
    timelineFit(b, d).value,
    categoryValue(b, d),
  ])
}

export { cosine }
