// Discovery: musicians the caller might play with, best first.
//
// Paging works on a snapshot. The first page applies the hard filters in SQL, ranks the pool
// (the nearest POOL_SIZE) on raw scores, stores the ranked ids as a feed (30 minutes) and shows
// the first `limit` with their factors. A cursor is the feed id and the snapshot position reached;
// later pages read on from that position, skipping whoever the caller has since liked, passed or
// blocked, who blocked the caller, or who left (deleted, deactivated). So nobody appears twice and
// nobody present at the first page is skipped, however scores move or musicians arrive meanwhile;
// newcomers show up in the next fresh feed. Scores and reasons on a page are computed when it is
// read, the order is the snapshot's.
import {
  type Claims,
  withUser,
  asynchronousCommit,
  AppError,
  forbidden,
  unprocessable,
  type Platform,
  rankByRaw,
  strongestFactors,
  BandsySkillLevelValues,
} from '../../../platform'
import { PLAN_FEATURES, cheapestPlanWhere } from '../plans'
import { compatibilityOf, rawCompatibility } from './compatibility'
import type { MusicianFacts, Reference } from './facts'
import type { PairContext } from './factors'
import { findFeed, loadFeedPage, loadPool, openDiscovery, startFeed, type Candidate, type Ranked } from './repository'

export const POOL_SIZE = 400
export const FEED_TTL_MS = 30 * 60_000
/** The caller's last_active_at moves at most this often from browsing. */
export const TOUCH_EVERY_MS = 5 * 60_000
const SKILLS = BandsySkillLevelValues

export interface DiscoveryQuery {
  limit: number
  cursor?: string
  radiusKm?: number
}

// Cursors --------------------------------------------------------------------------------------

const CURSOR = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,5})$/

export const encodeCursor = (feedId: string, position: number) => Buffer.from(`${feedId}:${position}`).toString('base64url')

export function decodeCursor(cursor: string): { feedId: string; position: number } {
  const m = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null
  if (!m)
    throw new AppError('validation_failed', 'querystring.cursor: not a cursor from a discovery page; use nextCursor as given', [
      { field: 'querystring.cursor', message: 'malformed cursor' },
    ])
  return { feedId: m[1], position: Number(m[2]) }
}

// The feed -------------------------------------------------------------------------------------

export async function discover(platform: Platform, claims: Claims, q: DiscoveryQuery) {
  const now = platform.clock.now()
  const parsed = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
  return withUser(platform.db.kysely, claims, async (tx) => {
    // What this writes (the activity mark, a feed snapshot) a crash may forget: its commit need not wait for the disk.
    await asynchronousCommit(tx)
    const caller = await openDiscovery(tx, claims.sub, now, TOUCH_EVERY_MS)
    if (!caller || caller.deleted) throw forbidden('This account is deleted')
    const missing = [
      caller.facts.lat === null ? 'location' : null,
      caller.facts.instruments.length === 0 ? 'instrument' : null,
      caller.facts.genres.length === 0 ? 'genre' : null,
    ].filter((x): x is string => x !== null)
    if (missing.length) throw unprocessable(`Complete your profile to discover musicians: add ${missing.join(', ')}`, { missing })
    const { ref, plan } = caller

    if (parsed) {
      const feed = await findFeed(tx, parsed.feedId)
      if (!feed || feed.expiresAt <= now)
        throw new AppError('gone', 'This discovery feed has expired; start again without a cursor', { field: 'querystring.cursor' })
      if (parsed.position > feed.size)
        throw new AppError('validation_failed', 'querystring.cursor: position past the end of the feed', [
          { field: 'querystring.cursor', message: 'position out of range' },
        ])
      const rows = await loadFeedPage(tx, claims.sub, feed, parsed.position, q.limit)
      const last = rows.at(-1)?.position ?? feed.size
      const more = rows.length === q.limit && last < feed.size
      return page(rows, caller.facts, ref, now, {
        radiusKm: feed.radiusKm,
        expiresAt: feed.expiresAt,
        next: more ? encodeCursor(feed.id, last) : null,
      })
    }

    const cap = PLAN_FEATURES[plan].maxSearchRadiusKm
    if (q.radiusKm !== undefined && q.radiusKm > cap) {
      const needed = cheapestPlanWhere((f) => f.maxSearchRadiusKm >= q.radiusKm!)
      throw new AppError(
        'payment_required',
        `A ${q.radiusKm} km radius needs the ${needed} plan; the ${plan} plan searches up to ${cap} km`,
        {
          field: 'querystring.radiusKm',
          plan,
          maxRadiusKm: cap,
          requiredPlan: needed,
        },
      )
    }
    const radiusKm = q.radiusKm ?? Math.min(caller.searchRadius, cap)
    const pool = await loadPool(tx, {
      radiusKm,
      ageMin: caller.ageMin,
      ageMax: caller.ageMax,
      poolSize: POOL_SIZE,
    })
    const ranked = rankByRaw(
      pool.map((c) => ({ ...c, id: c.facts.id })),
      (c) => rawCompatibility(context(caller.facts, c, ref, now)),
      POOL_SIZE,
    ).map((r) => r.candidate)
    const expiresAt = new Date(now.getTime() + FEED_TTL_MS)
    const { feedId, cards } = await startFeed(
      tx,
      { me: claims.sub, ids: ranked.map((c) => c.id), lat: caller.facts.lat!, lng: caller.facts.lng!, radiusKm, now, expiresAt },
      ranked.slice(0, q.limit),
    )
    return page(cards, caller.facts, ref, now, {
      radiusKm,
      expiresAt,
      next: ranked.length > q.limit ? encodeCursor(feedId, q.limit) : null,
    })
  })
}

const context = (me: MusicianFacts, c: Ranked, ref: Reference, now: Date): PairContext => ({
  me,
  other: c.facts,
  distanceKm: c.km,
  now,
  ref,
})

function page(
  rows: Candidate[],
  me: MusicianFacts,
  ref: Reference,
  now: Date,
  meta: { radiusKm: number; expiresAt: Date; next: string | null },
) {
  return {
    candidates: rows.map((c) => {
      const s = compatibilityOf(context(me, c, ref, now))
      return {
        profile: card(c, ref),
        distanceKm: c.km,
        score: s.score,
        factors: s.factors.map((f) => ({ name: f.name, weight: f.weight, value: f.value, reason: f.reason })),
        reasons: strongestFactors(s.factors, 3).map((f) => f.reason),
      }
    }),
    nextCursor: meta.next,
    radiusKm: meta.radiusKm,
    expiresAt: meta.expiresAt,
  }
}

function card(c: Candidate, ref: Reference) {
  const instruments = c.facts.instruments
    .map((i) => ({
      id: i.id,
      name: ref.instruments.get(i.id)?.name ?? '',
      category: ref.instruments.get(i.id)?.category ?? null,
      skillLevel: SKILLS[i.skill - 1] ?? 'beginner',
      yearsOfExperience: i.years,
      isPrimary: i.primary,
    }))
    .sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary) || a.name.localeCompare(b.name))
  const genres = c.facts.genres
    .map((g) => ({ id: g.id, name: ref.genres.get(g.id)?.name ?? '', preference: g.preference }))
    .sort((a, b) => b.preference - a.preference || a.name.localeCompare(b.name))
  return { id: c.facts.id, ...c.card, primaryInstrument: instruments.find((i) => i.isPrimary) ?? null, instruments, genres }
}
