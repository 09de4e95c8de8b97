// SQL for events. Under withUser, events_read shows public events and a group's private ones to
// its members; events_admin_write lets only the group's admins write.
import { sql, type RawBuilder, type Selectable } from 'kysely'
import type { BandsyEvents, Tx } from '../../../platform'

export type EventRow = Selectable<BandsyEvents> & { groupName: string; distanceKm: number | null }

export interface EventValues {
  title: string
  description: string | null
  venue: string | null
  address: string | null
  latitude: number | null
  longitude: number | null
  startDate: Date
  endDate: Date | null
  isPublic: boolean
  maxAttendees: number | null
}

export interface Position {
  lat: number
  lng: number
}

const KM_PER_DEGREE = 111.045

const distanceFrom = (at: Position | null): RawBuilder<number | null> =>
  at
    ? sql<number | null>`case when e.latitude is not null
        then earth_distance(ll_to_earth(${at.lat}, ${at.lng}), ll_to_earth(e.latitude, e.longitude)) / 1000 end`
    : sql<number | null>`null::float8`

const selectEvents = (at: Position | null) => sql`
  select e.id, e.group_id, g.name as group_name, e.title, e.description, e.venue, e.address, e.latitude, e.longitude,
         e.start_date, e.end_date, e.is_public, e.max_attendees, e.created_at,
         ${distanceFrom(at)} as distance_km
    from bandsy.events e join bandsy.groups g on g.id = e.group_id`

export async function findEvent(tx: Tx, id: string, at: Position | null = null): Promise<EventRow | undefined> {
  const { rows } = await sql<EventRow>`${selectEvents(at)} where e.id = ${id}`.execute(tx)
  return rows[0]
}

export async function insertEvent(tx: Tx, groupId: string, v: EventValues, now: Date): Promise<string> {
  const row = await tx
    .insertInto('bandsy.events')
    .values({ groupId, ...v, createdAt: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function updateEvent(tx: Tx, id: string, v: Partial<EventValues>) {
  if (Object.keys(v).length === 0) return
  await tx.updateTable('bandsy.events').set(v).where('id', '=', id).execute()
}

export async function deleteEvent(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx.deleteFrom('bandsy.events').where('id', '=', id).returning('id').execute()
  return rows.length > 0
}

/** A group's events from `from` on, by date; RLS leaves out private ones for non-members. */
export async function eventsOfGroup(tx: Tx, groupId: string, from: Date, limit: number): Promise<EventRow[]> {
  const { rows } = await sql<EventRow>`${selectEvents(null)}
    where e.group_id = ${groupId} and e.start_date >= ${from}
    order by e.start_date, e.id limit ${limit}`.execute(tx)
  return rows
}

export interface PublicEventQuery {
  at: Position | null
  radiusKm: number | null
  from: Date
  to: Date | null
  limit: number
  after: { startDate: Date; distanceKey: number; id: string } | null
}

/** Sort key for distance: events without a place (or with no position known) come last on a date. */
export const NO_DISTANCE = 1e9

/**
 * Public events of visible groups, by date and then distance. With a radius, a bounding box
 * narrows the rows before the exact earth_distance test; events without a place drop out.
 */
export async function publicEvents(tx: Tx, q: PublicEventQuery): Promise<EventRow[]> {
  const filters = [sql`e.is_public`, sql`e.start_date >= ${q.from}`]
  if (q.to) filters.push(sql`e.start_date <= ${q.to}`)
  if (q.at && q.radiusKm !== null) {
    const dLat = q.radiusKm / KM_PER_DEGREE
    filters.push(sql`e.latitude between ${q.at.lat - dLat} and ${q.at.lat + dLat}`)
    const cosLat = Math.cos((q.at.lat * Math.PI) / 180)
    const dLng = cosLat > 1e-6 ? q.radiusKm / (KM_PER_DEGREE * cosLat) : 360
    // Near the poles or across the antimeridian the box spans every longitude; the exact test decides.
    if (q.at.lng - dLng >= -180 && q.at.lng + dLng <= 180) filters.push(sql`e.longitude between ${q.at.lng - dLng} and ${q.at.lng + dLng}`)
    filters.push(sql`${distanceFrom(q.at)} <= ${q.radiusKm}`)
  }
  const where = sql.join(filters, sql` and `)
  const after = q.after
    ? sql`where (x.start_date, x.distance_key, x.id) > (${q.after.startDate}, ${q.after.distanceKey}, ${q.after.id}::uuid)`
    : sql``
  const { rows } = await sql<EventRow>`
    select * from (
      select x.*, coalesce(x.distance_km, ${NO_DISTANCE}) as distance_key from (${selectEvents(q.at)} where ${where}) x
    ) x ${after}
    order by x.start_date, x.distance_key, x.id
    limit ${q.limit}`.execute(tx)
  return rows
}

/** The caller's own profile location, the default position for distances. */
export async function ownPosition(tx: Tx, userId: string): Promise<Position | null> {
  const row = await tx.selectFrom('bandsy.users').select(['latitude', 'longitude']).where('id', '=', userId).executeTakeFirst()
  return row && row.latitude !== null && row.longitude !== null ? { lat: row.latitude, lng: row.longitude } : null
}
