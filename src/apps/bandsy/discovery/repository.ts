// Discovery's SQL, always inside withUser: row-level security hides soft-deleted users (users),
// undiscoverable profiles (user_match_profiles: active and complete) and others' feeds.
import { sql, type Selectable } from 'kysely'
import { type BandsyUsers, type CoarseKm, type Executor, type Tx, coarseKm, prefilterRadiusKm, withinRadius } from '../../../platform'
import { planColumn, type Plan } from '../plans'
import {
  aggregatedSkills,
  factsFromRow,
  referenceColumn,
  referenceFrom,
  type FactsRow,
  type MusicianFacts,
  type Reference,
  type ReferenceColumn,
} from './facts'

/** earthdistance's sphere (earth() = 6378168 m), so the box always holds the exact circle. */
const EARTH_KM = 6378.168

export interface Box {
  latMin: number
  latMax: number
  lngMin: number
  lngMax: number
}

/**
 * The lat/lng ranges holding every point within `km` of the origin: the btree indexes on
 * (location_lat, location_lng) find these cheaply, the exact earth_distance runs on the rest.
 * Near a pole or across the antimeridian the longitude range is the whole circle.
 */
export function boundingBox(lat: number, lng: number, km: number): Box {
  const d = km / EARTH_KM
  const deg = 180 / Math.PI
  const latMin = lat - d * deg
  const latMax = lat + d * deg
  const s = Math.sin(d) / Math.cos(lat / deg)
  if (latMin <= -90 || latMax >= 90 || s >= 1)
    return { latMin: Math.max(-90, latMin), latMax: Math.min(90, latMax), lngMin: -180, lngMax: 180 }
  const dLng = Math.asin(s) * deg
  if (lng - dLng < -180 || lng + dLng > 180) return { latMin, latMax, lngMin: -180, lngMax: 180 }
  return { latMin, latMax, lngMin: lng - dLng, lngMax: lng + dLng }
}

export interface Caller {
  facts: MusicianFacts
  deleted: boolean
  searchRadius: number
  ageMin: number | null
  ageMax: number | null
  plan: Plan
  ref: Reference
}

/**
 * Everything discovery needs before the pool, in one statement: the caller's facts and settings,
 * their plan, the instrument and genre catalogs; and it marks the caller active, at most once per
 * `touchEveryMs` (discovery is read often, the write is rare). The facts are read as they were
 * before the touch (one snapshot).
 */
export async function openDiscovery(tx: Tx, me: string, now: Date, touchEveryMs: number): Promise<Caller | undefined> {
  const { rows } = await sql<
    FactsRow & {
      deleted: boolean
      searchRadius: number | null
      ageRangeMin: number | null
      ageRangeMax: number | null
      plan: Plan | null
      reference: ReferenceColumn
    }
  >`
    with touch as (
      update bandsy.users set last_active_at = ${now}
       where id = ${me}::uuid and deleted_at is null
         and (last_active_at is null or last_active_at < ${new Date(now.getTime() - touchEveryMs)})
    )
    select u.id, u.latitude as lat, u.longitude as lng, p.skill_level_average as skill_average, p.activity_score, p.last_active,
           ${aggregatedSkills(sql`u.id`)},
           u.deleted_at is not null as deleted, p.search_radius, p.age_range_min, p.age_range_max,
           ${planColumn(sql`u.id`, now)}, ${referenceColumn}
      from bandsy.users u left join bandsy.user_match_profiles p on p.user_id = u.id
     where u.id = ${me}::uuid`.execute(tx)
  const r = rows[0]
  if (!r) return undefined
  return {
    facts: factsFromRow(r),
    deleted: r.deleted,
    searchRadius: r.searchRadius ?? 50,
    ageMin: r.ageRangeMin,
    ageMax: r.ageRangeMax,
    plan: r.plan ?? 'free',
    ref: referenceFrom(r.reference),
  }
}

type Card = Pick<Selectable<BandsyUsers>, 'username' | 'displayName' | 'city' | 'region' | 'country' | 'age'>

type CandidateRow = FactsRow & Card & { km: CoarseKm }

export interface Candidate {
  facts: MusicianFacts
  km: CoarseKm
  card: Card
}

const candidate = (r: CandidateRow): Candidate => ({
  facts: factsFromRow(r),
  km: r.km,
  card: { username: r.username, displayName: r.displayName, city: r.city, region: r.region, country: r.country, age: r.age },
})

export interface PoolQuery {
  radiusKm: number
  ageMin: number | null
  ageMax: number | null
  /** Largest number of candidates one feed ranks: the nearest ones. */
  poolSize: number
}

/**
 * Every discoverable musician within the radius and age range, not the caller and not dismissed,
 * nearest first up to poolSize; instruments and genres are aggregated only for the rows kept.
 * bandsy.discovery_nearby reads them in distance order from a GiST index (migration 0006), so a
 * 50 km circle of thousands costs no more than the poolSize nearest.
 */
export async function loadPool(tx: Tx, q: PoolQuery): Promise<Ranked[]> {
  // The radius is judged on the coarse distance, as shown (platform geo): read a little wider, then filter.
  const rows = await nearest(tx, q, prefilterRadiusKm(q.radiusKm))
  return rows
    .map((r) => ({ facts: factsFromRow({ ...r, lat: null, lng: null }), km: coarseKm(Number(r.km)) }))
    .filter((r) => withinRadius(r.km, q.radiusKm))
}

/** A pool member: what ranking reads; the card comes with showCards() for the few shown. */
export interface Ranked {
  facts: MusicianFacts
  km: CoarseKm
}

function inOrder(shown: Ranked[], rows: Omit<CandidateRow, 'km'>[]): Candidate[] {
  const byId = new Map(rows.map((r) => [r.id, r]))
  return shown.flatMap((r) => {
    const c = byId.get(r.facts.id)
    return c ? [candidate({ ...c, km: r.km })] : []
  })
}

/** A card's columns and the musician's facts, from users `u` joined with user_match_profiles `p`. */
const cardColumns = sql`
  u.id, p.location_lat as lat, p.location_lng as lng, p.skill_level_average as skill_average, p.activity_score, p.last_active,
  u.username, u.display_name, u.city, u.region, u.country, case when u.show_age then u.age end as age,
  ${aggregatedSkills(sql`u.id`)}`

/**
 * Cards and facts of the given musicians, under RLS (hidden ones are simply missing). Looked up
 * by `= any(ids)` so each table is read through its index whatever the planner guesses about
 * the list.
 */
const cardsOf = (ids: string[]) => sql<Omit<CandidateRow, 'km'>>`
    select ${cardColumns}
      from bandsy.users u join bandsy.user_match_profiles p on p.user_id = u.id
     where u.id = any(${ids}::uuid[]) and p.user_id = any(${ids}::uuid[])`

/** Who the caller has liked, super-liked, passed or blocked, and who blocked the caller: a small set, hashed once. */
const dismissed = (me: string) => sql`
  dismissed as materialized (
    select to_user_id as id from bandsy.user_interactions where from_user_id = ${me}::uuid
    union
    select bandsy.blocked_by_or_blocking_me()
  )`

/** The nearest poolSize within `km` of the caller's stored location (bandsy.discovery_nearby, migration 0003). */
async function nearest(tx: Tx, q: PoolQuery, km: number) {
  const { rows } = await sql<Omit<FactsRow, 'lat' | 'lng'> & { km: number }>`
    select user_id as id, km, skill_average, activity_score, last_active, instruments, genres
      from bandsy.discovery_nearby(${km}::float8, ${q.ageMin}::int, ${q.ageMax}::int, ${q.poolSize}::int)`.execute(tx)
  return rows
}

export interface Feed {
  id: string
  size: number
  originLat: number
  originLng: number
  radiusKm: number
  expiresAt: Date
}

/**
 * Stores the ranked snapshot as a feed and reads the cards of the first ones shown, in one
 * statement (the first page's last round trip before COMMIT).
 */
export async function startFeed(
  tx: Tx,
  f: { me: string; ids: string[]; lat: number; lng: number; radiusKm: number; now: Date; expiresAt: Date },
  shown: Ranked[],
): Promise<{ feedId: string; cards: Candidate[] }> {
  const { rows } = await sql<Omit<CandidateRow, 'km'> & { feedId: string }>`
    with feed as (
      insert into bandsy.discovery_feeds (user_id, candidate_ids, origin_lat, origin_lng, radius_km, created_at, expires_at)
      values (${f.me}::uuid, ${f.ids}::uuid[], ${f.lat}, ${f.lng}, ${f.radiusKm}, ${f.now}, ${f.expiresAt})
      returning id
    )
    select feed.id as feed_id, c.* from feed left join lateral (${cardsOf(shown.map((r) => r.facts.id))}) c on true`.execute(tx)
  const found = rows.filter((r) => r.id !== null) // the left join's one row when nobody is shown
  return { feedId: rows[0].feedId, cards: inOrder(shown, found) }
}

export async function findFeed(tx: Tx, id: string): Promise<Feed | undefined> {
  const { rows } = await sql<Feed>`
    select id, coalesce(cardinality(candidate_ids), 0) as size, origin_lat, origin_lng, radius_km, expires_at
      from bandsy.discovery_feeds where id = ${id}::uuid`.execute(tx)
  const r = rows[0]
  return r && { ...r, originLat: Number(r.originLat), originLng: Number(r.originLng), expiresAt: new Date(r.expiresAt) }
}

/**
 * The next `limit` snapshot entries after position `after` that are still there for the caller:
 * since the snapshot, a candidate may have been liked, passed, blocked (either way), deleted or
 * deactivated, and is then skipped. Each row carries its position for the next cursor.
 */
export async function loadFeedPage(
  tx: Tx,
  me: string,
  feed: Feed,
  after: number,
  limit: number,
): Promise<(Candidate & { position: number })[]> {
  const { rows } = await sql<Omit<CandidateRow, 'km'> & { position: number; km: number }>`
    with ${dismissed(me)}
    select ${cardColumns}, s.position,
           earth_distance(ll_to_earth(${feed.originLat}, ${feed.originLng}), ll_to_earth(p.location_lat, p.location_lng)) / 1000 as km
      from bandsy.discovery_feeds f
      cross join lateral unnest(f.candidate_ids) with ordinality as s (id, position)
      join bandsy.user_match_profiles p on p.user_id = s.id
      join bandsy.users u on u.id = s.id
     where f.id = ${feed.id}::uuid and s.position > ${after}
       and not exists (select 1 from dismissed x where x.id = s.id)
     order by s.position
     limit ${limit}`.execute(tx)
  return rows.map(({ position, km, ...c }) => ({ ...candidate({ ...c, km: coarseKm(Number(km)) }), position: Number(position) }))
}

export async function deleteExpiredFeeds(db: Executor, now: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with gone as (delete from bandsy.discovery_feeds where expires_at <= ${now} returning 1) select count(*)::int as n from gone`.execute(
    db,
  )
  return rows[0].n
}
