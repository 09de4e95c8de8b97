// Discovery's SQL, always inside withUser: row-level security hides soft-deleted users (users),
// undiscoverable profiles (user_match_profiles: active and complete) and others' feeds.
import { sql } from 'kysely'
import type { Executor, Tx } from '../../../platform/db/database'
import { aggregatedSkills, factsFromRow, type FactsRow, type MusicianFacts } from './facts'

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
  if (latMin <= -90 || latMax >= 90 || s >= 1) return { latMin: Math.max(-90, latMin), latMax: Math.min(90, latMax), lngMin: -180, lngMax: 180 }
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
}

export async function loadCaller(tx: Tx, me: string): Promise<Caller | undefined> {
  const { rows } = await sql<FactsRow & { deleted: boolean; searchRadius: number | null; ageRangeMin: number | null; ageRangeMax: number | null }>`
    select u.id, u.latitude as lat, u.longitude as lng, p.skill_level_average as skill_average, p.activity_score, p.last_active,
           ${aggregatedSkills(sql`u.id`)},
           u.deleted_at is not null as deleted, p.search_radius, p.age_range_min, p.age_range_max
      from bandsy.users u left join bandsy.user_match_profiles p on p.user_id = u.id
     where u.id = ${me}::uuid`.execute(tx)
  const r = rows[0]
  if (!r) return undefined
  return { facts: factsFromRow(r), deleted: r.deleted, searchRadius: r.searchRadius ?? 50, ageMin: r.ageRangeMin, ageMax: r.ageRangeMax }
}

/** Marks the caller active, at most once per `everyMs`: discovery is read often, the write is rare. */
export async function touchLastActive(tx: Tx, me: string, now: Date, everyMs: number): Promise<void> {
  await sql`update bandsy.users set last_active_at = ${now}
             where id = ${me}::uuid and deleted_at is null
               and (last_active_at is null or last_active_at < ${new Date(now.getTime() - everyMs)})`.execute(tx)
}

export interface CandidateRow extends FactsRow {
  km: number
  username: string
  displayName: string
  city: string | null
  region: string | null
  country: string | null
  age: number | null
}

export interface Candidate {
  facts: MusicianFacts
  km: number
  card: { username: string; displayName: string; city: string | null; region: string | null; country: string | null; age: number | null }
}

const candidate = (r: CandidateRow): Candidate => ({
  facts: factsFromRow(r),
  km: Number(r.km),
  card: { username: r.username, displayName: r.displayName, city: r.city, region: r.region, country: r.country, age: r.age },
})

// The public card and the facts the factors read; `c` is the chosen rows (id, km), `u` and `p`
// the user and match profile joined to them.
const cardAndFacts = sql`
  c.id, c.km, p.location_lat as lat, p.location_lng as lng, p.skill_level_average as skill_average, p.activity_score, p.last_active,
  u.username, u.display_name, u.city, u.region, u.country, case when u.show_age then u.age end as age,
  ${aggregatedSkills(sql`c.id`)}`

export interface PoolQuery {
  radiusKm: number
  ageMin: number | null
  ageMax: number | null
  /** Largest number of candidates one feed ranks: the nearest ones. */
  poolSize: number
}

/** The first ring searched: in a city centre a few hundred musicians live this close. */
const FIRST_RING_KM = 5

/**
 * Every discoverable musician within the radius and age range, not the caller and not dismissed,
 * nearest first up to poolSize; instruments and genres are aggregated only for the rows kept.
 * In a city a 50 km circle holds thousands, each needing an exact earth_distance, so the search
 * widens in rings and stops at the first ring that already holds poolSize: those are then exactly
 * the nearest poolSize of the whole circle. Each next ring is sized from the density just seen.
 */
export async function loadPool(tx: Tx, q: PoolQuery): Promise<Candidate[]> {
  let ring = Math.min(q.radiusKm, FIRST_RING_KM)
  let ids: { id: string; km: number }[] = []
  for (;;) {
    ids = (await nearest(tx, q, ring)).rows
    if (ids.length >= q.poolSize || ring >= q.radiusKm) break
    ring = Math.min(q.radiusKm, ring * Math.max(1.5, 1.2 * Math.sqrt(q.poolSize / Math.max(ids.length, 1))))
  }
  if (ids.length === 0) return []
  const { rows } = await sql<CandidateRow>`
    with c as (select * from unnest(${ids.map((r) => r.id)}::uuid[], ${ids.map((r) => r.km)}::float8[]) as c (id, km))
    select ${cardAndFacts}
      from c join bandsy.users u on u.id = c.id join bandsy.user_match_profiles p on p.user_id = c.id
     order by c.km, c.id`.execute(tx)
  return rows.map(candidate)
}

/** Who the caller has liked, super-liked, passed or blocked, and who blocked the caller: a small set, hashed once. */
const dismissed = (me: string) => sql`
  dismissed as materialized (
    select to_user_id as id from bandsy.user_interactions where from_user_id = ${me}::uuid
    union
    select bandsy.blocked_by_or_blocking_me()
  )`

/** The nearest poolSize within `km` of the caller's stored location (bandsy.discovery_nearby, migration 0003). */
function nearest(tx: Tx, q: PoolQuery, km: number) {
  return sql<{ id: string; km: number }>`
    select user_id as id, km from bandsy.discovery_nearby(${km}::float8, ${q.ageMin}::int, ${q.ageMax}::int, ${q.poolSize}::int)`.execute(tx)
}

export interface Feed {
  id: string
  size: number
  originLat: number
  originLng: number
  radiusKm: number
  expiresAt: Date
}

export async function insertFeed(tx: Tx, f: { me: string; ids: string[]; lat: number; lng: number; radiusKm: number; now: Date; expiresAt: Date }): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into bandsy.discovery_feeds (user_id, candidate_ids, origin_lat, origin_lng, radius_km, created_at, expires_at)
    values (${f.me}::uuid, ${f.ids}::uuid[], ${f.lat}, ${f.lng}, ${f.radiusKm}, ${f.now}, ${f.expiresAt})
    returning id`.execute(tx)
  return rows[0].id
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
export async function loadFeedPage(tx: Tx, me: string, feed: Feed, after: number, limit: number): Promise<(Candidate & { position: number })[]> {
  const { rows } = await sql<CandidateRow & { position: number }>`
    with ${dismissed(me)},
    c as (
      select s.id, s.position,
             earth_distance(ll_to_earth(${feed.originLat}, ${feed.originLng}), ll_to_earth(p.location_lat, p.location_lng)) / 1000 as km
        from bandsy.discovery_feeds f
        cross join lateral unnest(f.candidate_ids) with ordinality as s (id, position)
        join bandsy.user_match_profiles p on p.user_id = s.id
        join bandsy.users u on u.id = s.id
       where f.id = ${feed.id}::uuid and s.position > ${after}
         and not exists (select 1 from dismissed x where x.id = s.id)
       order by s.position
       limit ${limit}
    )
    select ${cardAndFacts}, c.position
      from c join bandsy.users u on u.id = c.id join bandsy.user_match_profiles p on p.user_id = c.id
     order by c.position`.execute(tx)
  return rows.map((r) => ({ ...candidate(r), position: Number(r.position) }))
}

export async function deleteExpiredFeeds(db: Executor, now: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with gone as (delete from bandsy.discovery_feeds where expires_at <= ${now} returning 1) select count(*)::int as n from gone`.execute(db)
  return rows[0].n
}
