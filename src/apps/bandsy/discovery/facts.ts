// What the compatibility factors read about a musician, loaded under row-level security as the
// caller. Instruments and genres come aggregated per musician in the same row, so ranking a pool
// of candidates costs one query, not one per candidate.
import { sql, type RawBuilder } from 'kysely'
import { type CoarseKm, type Tx, coarseKm } from '../../../platform'

export interface InstrumentFact {
  id: string
  /** 1 beginner .. 4 professional (bandsy.skill_rank). */
  skill: number
  years: number | null
  primary: boolean
}

export interface GenreFact {
  id: string
  /** 1..5 */
  preference: number
}

export interface MusicianFacts {
  id: string
  lat: number | null
  lng: number | null
  skillAverage: number | null
  activityScore: number
  lastActive: Date | null
  instruments: InstrumentFact[]
  genres: GenreFact[]
}

export interface Reference {
  instruments: Map<string, { name: string; category: string | null }>
  /** Each genre with its ancestors, itself first (the tree is at most three levels deep). */
  genres: Map<string, { name: string; lineage: string[] }>
}

type ReferenceEntry = [kind: 'i' | 'g', id: string, name: string, extra: string | null]

/**
 * SQL column `reference`: the instrument and genre catalogs (a few dozen rows each) as one json
 * array, so a statement that reads the caller can bring them along instead of a round trip of
 * their own.
 */
export const referenceColumn = sql`
  (select json_agg(r) from (
     select json_build_array('i', id, name, category) as r from bandsy.instruments
     union all
     select json_build_array('g', id, name, parent_genre_id::text) from bandsy.genres) c) as reference`

/** The catalogs, for names, families and the genre tree. */
export async function loadReference(tx: Tx): Promise<Reference> {
  const { rows } = await sql<{ reference: ReferenceEntry[] | string | null }>`select ${referenceColumn}`.execute(tx)
  return referenceFrom(rows[0]?.reference ?? null)
}

/** The Reference from a `reference` column (referenceColumn). */
export function referenceFrom(column: ReferenceEntry[] | string | null): Reference {
  const instruments = new Map<string, { name: string; category: string | null }>()
  const parents = new Map<string, { name: string; parent: string | null }>()
  for (const [kind, id, name, extra] of json(column ?? [])) {
    if (kind === 'i') instruments.set(id, { name, category: extra })
    else parents.set(id, { name, parent: extra })
  }
  const genres = new Map<string, { name: string; lineage: string[] }>()
  for (const [id, g] of parents) {
    const lineage = [id]
    for (let p = g.parent; p && lineage.length < 5 && !lineage.includes(p); p = parents.get(p)?.parent ?? null) lineage.push(p)
    genres.set(id, { name: g.name, lineage })
  }
  return { instruments, genres }
}

export type ReferenceColumn = ReferenceEntry[] | string | null

/** SQL columns `instruments` and `genres` (json arrays, in id order) for the musician `userId`. */
export const aggregatedSkills = (userId: RawBuilder<unknown>) => sql`
  coalesce((select json_agg(json_build_array(ui.instrument_id, ui.skill_level, ui.years_of_experience, ui.is_primary) order by ui.instrument_id)
              from bandsy.user_instruments ui where ui.user_id = ${userId}), '[]'::json) as instruments,
  coalesce((select json_agg(json_build_array(ug.genre_id, ug.preference) order by ug.genre_id)
              from bandsy.user_genres ug where ug.user_id = ${userId}), '[]'::json) as genres`

export interface FactsRow {
  id: string
  lat: number | null
  lng: number | null
  skillAverage: number | null
  activityScore: number | null
  lastActive: Date | string | null
  instruments: [string, string, number | null, boolean][] | string
  genres: [string, number][] | string
}

// bandsy.skill_level in enum order, as bandsy.skill_rank counts it; mapped here rather than per row in SQL.
const SKILL_RANK: Record<string, number> = { beginner: 1, intermediate: 2, advanced: 3, professional: 4 }

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v)

export function factsFromRow(r: FactsRow): MusicianFacts {
  return {
    id: r.id,
    lat: r.lat === null ? null : Number(r.lat),
    lng: r.lng === null ? null : Number(r.lng),
    skillAverage: r.skillAverage === null ? null : Number(r.skillAverage),
    activityScore: Number(r.activityScore ?? 0),
    lastActive: r.lastActive === null ? null : new Date(r.lastActive),
    instruments: json(r.instruments).map(([id, skill, years, primary]) => ({ id, skill: SKILL_RANK[skill] ?? 1, years, primary })),
    genres: json(r.genres).map(([id, preference]) => ({ id, preference })),
  }
}

/**
 * Both musicians' facts and the coarse distance between them (km, earthdistance, as discovery
 * filters it; the exact one stays here). The other one's match profile is only visible while they are discoverable; without it
 * their location, skill and activity read as unknown.
 */
export async function loadPairFacts(
  tx: Tx,
  meId: string,
  otherId: string,
): Promise<{ me: MusicianFacts; other: MusicianFacts; distanceKm: CoarseKm | null } | undefined> {
  const { rows } = await sql<FactsRow & { km: number | null }>`
    select u.id, p.location_lat as lat, p.location_lng as lng, p.skill_level_average as skill_average, p.activity_score, p.last_active,
           ${aggregatedSkills(sql`u.id`)},
           case when p.location_lat is not null and mine.location_lat is not null
                then earth_distance(ll_to_earth(mine.location_lat, mine.location_lng), ll_to_earth(p.location_lat, p.location_lng)) / 1000 end as km
      from bandsy.users u
      left join bandsy.user_match_profiles p on p.user_id = u.id
      left join bandsy.user_match_profiles mine on mine.user_id = ${meId}::uuid
     where u.id in (${meId}::uuid, ${otherId}::uuid)`.execute(tx)
  const me = rows.find((r) => r.id === meId)
  const other = rows.find((r) => r.id === otherId)
  if (!me || !other || meId === otherId) return undefined
  return { me: factsFromRow(me), other: factsFromRow(other), distanceKm: other.km === null ? null : coarseKm(Number(other.km)) }
}
