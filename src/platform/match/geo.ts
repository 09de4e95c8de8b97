// Distances between people, made coarse before anything reads them (docs/decisions/0021-geo-privacy.md).
//
// Someone who can move their own point and read back a value derived from the distance to
// another person can trilaterate that person: three positions and an exact distance (or a factor,
// a score, a sort order computed from it) locate them to within metres. So a distance to a person
// exists in two forms only: the exact one inside SQL and the repository line that reads it, and a
// CoarseKm, rounded to DISTANCE_STEP_KM. Everything an app shows or derives (factor values,
// scores, reasons, radius filters, ordering, cursors) takes a CoarseKm, so it can never tell two
// places apart that the shown distance does not. The type is branded: a plain number does not fit.

declare const coarse: unique symbol
/** A distance rounded to the platform's step; the only distance an app may derive anything from. */
export type CoarseKm = number & { readonly [coarse]: true }

/** The rounding step for distances between people, km. Apps may choose a coarser one, never a finer. */
export const DISTANCE_STEP_KM = 1

/**
 * The exact distance rounded to the nearest multiple of `stepKm` (half up): 0 means closer than
 * half a step. Call it where the exact distance is read, and keep nothing else of it.
 */
export function coarseKm(exactKm: number, stepKm: number = DISTANCE_STEP_KM): CoarseKm {
  if (!(stepKm >= DISTANCE_STEP_KM)) throw new RangeError(`coarseKm: step ${stepKm} km is finer than ${DISTANCE_STEP_KM} km`)
  if (!Number.isFinite(exactKm) || exactKm < 0) throw new RangeError(`coarseKm: ${exactKm} is not a distance`)
  // Integer steps, so 3 * 0.1-style float noise never appears in what is shown.
  return (Math.floor(exactKm / stepKm + 0.5) * stepKm) as CoarseKm
}

/**
 * The exact radius a SQL pre-filter must use so that every place whose coarse distance is within
 * `radiusKm` is among the rows; filter those rows with withinRadius() afterwards. (Filtering on
 * the exact distance would answer "closer than r?" more finely than the shown distance does.)
 */
export const prefilterRadiusKm = (radiusKm: number, stepKm: number = DISTANCE_STEP_KM) => radiusKm + stepKm / 2

/** Whether a place is within the radius, judged on the coarse distance only. */
export const withinRadius = (d: CoarseKm, radiusKm: number) => d <= radiusKm

/** 1 at distance 0, 0.5 at `halfDistanceKm`, towards 0 further away; from the coarse distance only. */
export function proximity(d: CoarseKm, halfDistanceKm: number): number {
  return d > 0 ? 0.5 ** (d / halfDistanceKm) : 1
}

/** The distance in words, as shown: the coarse distance and nothing finer. */
export function describeDistance(d: CoarseKm | null): string {
  if (d === null) return 'Distance unknown'
  return d === 0 ? 'Less than a kilometre away' : `${d} km away`
}

/**
 * A distance factor for the engine (score()/rank()): value, inputs and reason all from the coarse
 * distance, so two places the shown distance does not tell apart score the same and then order
 * by the engine's tie-break (id), never by the exact distance.
 */
export function distanceFactor(o: { name?: string; weight: number; distance: CoarseKm | null; halfDistanceKm: number }) {
  return {
    name: o.name ?? 'distance',
    weight: o.weight,
    value: o.distance === null ? 0 : proximity(o.distance, o.halfDistanceKm),
    inputs: { distanceKm: o.distance, halfDistanceKm: o.halfDistanceKm },
    reason: describeDistance(o.distance),
  }
}
