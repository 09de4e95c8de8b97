// Events (gigs) of groups: a group's admins create, edit and delete them; public events are
// listed for everyone by date, then distance; private ones only for the group's members (RLS
// events_read holds that, whatever this layer asks).
import { type Tx, withUser, type Claims, AppError, notFound, type Platform } from '../../../platform'
import { requireGroup } from '../groups/service'
import * as repo from './repository'

export interface EventInput {
  title: string
  description?: string | null
  venue?: string | null
  address?: string | null
  latitude?: number | null
  longitude?: number | null
  startDate: Date
  endDate?: Date | null
  isPublic?: boolean
  maxAttendees?: number | null
}

const invalid = (field: string, message: string) => new AppError('validation_failed', message, { field })

function checkDates(v: { startDate: Date; endDate: Date | null }, now: Date, startChanged: boolean) {
  if (startChanged && v.startDate.getTime() < now.getTime()) throw invalid('startDate', 'startDate must not be in the past')
  if (v.endDate && v.endDate.getTime() < v.startDate.getTime()) throw invalid('endDate', 'endDate must not be before startDate')
}

function checkPlace(v: { latitude: number | null; longitude: number | null }) {
  if ((v.latitude === null) !== (v.longitude === null))
    throw invalid('latitude', 'latitude and longitude go together: give both or neither')
}

export async function createEvent(platform: Platform, claims: Claims, groupId: string, input: EventInput): Promise<repo.EventRow> {
  const now = platform.clock.now()
  const values: repo.EventValues = {
    title: input.title,
    description: input.description ?? null,
    venue: input.venue ?? null,
    address: input.address ?? null,
    latitude: input.latitude ?? null,
    longitude: input.longitude ?? null,
    startDate: input.startDate,
    endDate: input.endDate ?? null,
    isPublic: input.isPublic ?? true,
    maxAttendees: input.maxAttendees ?? null,
  }
  checkDates(values, now, true)
  checkPlace(values)
  return withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, groupId, claims.sub, 'admin')
    const id = await repo.insertEvent(tx, groupId, values, now)
    return (await repo.findEvent(tx, id))!
  })
}

async function requireEventAdmin(tx: Tx, claims: Claims, id: string) {
  const event = await repo.findEvent(tx, id)
  if (!event) throw notFound('Event', { id })
  await requireGroup(tx, event.groupId, claims.sub, 'admin')
  return event
}

export async function updateEvent(platform: Platform, claims: Claims, id: string, changes: Partial<EventInput>): Promise<repo.EventRow> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const current = await requireEventAdmin(tx, claims, id)
    const merged = {
      startDate: changes.startDate ?? current.startDate,
      endDate: changes.endDate === undefined ? current.endDate : changes.endDate,
      latitude: changes.latitude === undefined ? current.latitude : changes.latitude,
      longitude: changes.longitude === undefined ? current.longitude : changes.longitude,
    }
    checkDates(merged, now, changes.startDate !== undefined)
    checkPlace(merged)
    await repo.updateEvent(tx, id, changes)
    return (await repo.findEvent(tx, id))!
  })
}

export async function deleteEvent(platform: Platform, claims: Claims, id: string): Promise<void> {
  await withUser(platform.db.kysely, claims, async (tx) => {
    await requireEventAdmin(tx, claims, id)
    if (!(await repo.deleteEvent(tx, id))) throw notFound('Event', { id })
  })
}

export async function groupEvents(platform: Platform, claims: Claims, groupId: string, q: { from?: Date; limit: number }) {
  const from = q.from ?? platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, groupId, claims.sub)
    return repo.eventsOfGroup(tx, groupId, from, q.limit)
  })
}

export interface PublicEventsQuery {
  lat?: number
  lng?: number
  radiusKm?: number
  from?: Date
  to?: Date
  limit: number
  cursor?: string
}

interface Cursor {
  s: string
  d: number
  i: string
}

const encodeCursor = (e: repo.EventRow & { distanceKey?: number }) =>
  Buffer.from(JSON.stringify({ s: e.startDate.toISOString(), d: e.distanceKey ?? repo.NO_DISTANCE, i: e.id } satisfies Cursor)).toString(
    'base64url',
  )

function decodeCursor(cursor: string): repo.PublicEventQuery['after'] {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor
    const startDate = new Date(c.s)
    if (Number.isNaN(startDate.getTime()) || typeof c.d !== 'number' || !Number.isFinite(c.d) || !/^[0-9a-f-]{36}$/i.test(c.i))
      throw new Error('bad cursor')
    return { startDate, distanceKey: c.d, id: c.i }
  } catch {
    throw invalid('cursor', 'cursor is not one this API gave out')
  }
}

/**
 * Upcoming public events by date, then distance. The position is the one asked for, else the
 * caller's own profile location; a radius needs a position and leaves out events without a place.
 */
export async function publicEvents(platform: Platform, claims: Claims, q: PublicEventsQuery) {
  if ((q.lat === undefined) !== (q.lng === undefined)) throw invalid('lat', 'lat and lng go together: give both or neither')
  const from = q.from ?? platform.clock.now()
  if (q.to && q.to.getTime() < from.getTime()) throw invalid('to', 'to must not be before from')
  const after = q.cursor ? decodeCursor(q.cursor) : null
  return withUser(platform.db.kysely, claims, async (tx) => {
    const at = q.lat !== undefined && q.lng !== undefined ? { lat: q.lat, lng: q.lng } : await repo.ownPosition(tx, claims.sub)
    if (q.radiusKm !== undefined && !at)
      throw invalid('radiusKm', 'radiusKm needs a position: give lat and lng, or set your profile location')
    const rows = (await repo.publicEvents(tx, {
      at,
      radiusKm: q.radiusKm ?? null,
      from,
      to: q.to ?? null,
      limit: q.limit + 1,
      after,
    })) as (repo.EventRow & {
      distanceKey: number
    })[]
    const page = rows.slice(0, q.limit)
    return { events: page, nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null }
  })
}
