// Factor helpers: each returns a number in [0,1] (cosine in [-1,1]; cosineFactor maps it).

export type Vector = ArrayLike<number>

/** Cosine similarity in [-1,1]; 0 when either vector is zero or their lengths differ. */
export function cosine(a: Vector, b: Vector): number {
  if (a.length !== b.length || a.length === 0) return 0
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  if (na === 0 || nb === 0) return 0
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)))
}

/**
 * Cosine as a factor: opposite or unrelated texts give 0; `full` is the similarity that already
 * counts as a perfect fit (short texts from different authors rarely pass ~0.6).
 */
export function cosineFactor(a: Vector, b: Vector, full = 1): number {
  return Math.min(1, Math.max(0, cosine(a, b)) / full)
}

const norm = (xs: readonly string[]) => new Set(xs.map((x) => x.trim().toLowerCase()).filter(Boolean))

export function intersection(a: readonly string[], b: readonly string[]): string[] {
  const bs = norm(b)
  return [...norm(a)].filter((x) => bs.has(x))
}

/** |A ∩ B| / |A ∪ B|; 0 when both are empty. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  const as = norm(a)
  const bs = norm(b)
  const union = new Set([...as, ...bs]).size
  return union === 0 ? 0 : intersection(a, b).length / union
}

/** Share of what is wanted that is offered; `whenNothingWanted` when nothing is wanted. */
export function coverage(wanted: readonly string[], offered: readonly string[], whenNothingWanted = 1): number {
  const ws = norm(wanted)
  return ws.size === 0 ? whenNothingWanted : intersection(wanted, offered).length / ws.size
}

export interface Range {
  min: number
  max: number
}

/**
 * How well an offered range fits a wanted one: the share of the offer inside what is wanted,
 * and outside it a decay by the gap relative to the wanted range's width (`tolerance` widths
 * to reach 0).
 */
export function rangeFit(wanted: Range, offered: Range, tolerance = 1): number {
  const overlap = Math.min(wanted.max, offered.max) - Math.max(wanted.min, offered.min)
  const offeredWidth = offered.max - offered.min
  if (overlap >= 0 && offeredWidth === 0) return 1
  if (overlap > 0) return Math.min(1, overlap / offeredWidth)
  const gap = Math.max(wanted.min - offered.max, offered.min - wanted.max, 0)
  const scale = Math.max(wanted.max - wanted.min, 1) * tolerance
  return Math.max(0, 1 - gap / scale)
}

/** 1 at distance 0, 0.5 at `halfDistance`, towards 0 further away. */
export function distanceDecay(distance: number, halfDistance: number): number {
  if (!(distance > 0)) return 1
  return 0.5 ** (distance / halfDistance)
}

/** Great-circle distance in kilometres. */
export function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Recency of an activity: 1 now, 0.5 after `halfLifeDays`; 0 when never active. */
export function recency(lastActive: Date | null | undefined, now: Date, halfLifeDays: number): number {
  if (!lastActive) return 0
  const days = (now.getTime() - lastActive.getTime()) / 86_400_000
  return distanceDecay(days, halfLifeDays)
}

/** Activity count saturating towards 1: `half` events give 0.5. */
export function activity(count: number, half: number): number {
  return count <= 0 ? 0 : count / (count + half)
}
