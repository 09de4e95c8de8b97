// Events over HTTP: group admins create, edit and delete them; members see a group's private
// events; everyone lists public upcoming events by date and distance.
import { z } from 'zod'
import { type AppContext, errorSchema, idParams } from '../../../platform'
import { optionalText, text } from '../groups/schemas'
import type { EventRow } from './repository'
import * as events from './service'

const tags = ['events']

const eventSchema = z
  .object({
    id: z.uuid(),
    groupId: z.uuid(),
    groupName: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    venue: z.string().nullable(),
    address: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    startDate: z.date(),
    endDate: z.date().nullable(),
    isPublic: z.boolean(),
    maxAttendees: z.number().int().nullable(),
    createdAt: z.date(),
    distanceKm: z.number().nullable().describe('From the position asked for (or your profile location), when both are known'),
  })
  .meta({ id: 'BandsyEvent' })

const one = z.object({ event: eventSchema })

const present = (e: EventRow) => ({
  id: e.id,
  groupId: e.groupId,
  groupName: e.groupName,
  title: e.title,
  description: e.description,
  venue: e.venue,
  address: e.address,
  latitude: e.latitude,
  longitude: e.longitude,
  startDate: e.startDate,
  endDate: e.endDate,
  isPublic: e.isPublic,
  maxAttendees: e.maxAttendees,
  createdAt: e.createdAt,
  distanceKm: e.distanceKm === null ? null : Math.round(e.distanceKm * 10) / 10,
})

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s))
const latitude = z.number().min(-90).max(90)
const longitude = z.number().min(-180).max(180)
// Optional on create and on edit; null clears a value on edit.
const optionalFields = {
  description: optionalText(5000).nullish(),
  venue: optionalText(200).nullish(),
  address: optionalText(1000).nullish(),
  latitude: latitude.nullish(),
  longitude: longitude.nullish(),
  endDate: instant.nullish().describe('Not before startDate'),
  isPublic: z.boolean().optional(),
  maxAttendees: z.number().int().min(1).max(1_000_000).nullish(),
}

export async function eventRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])

  http.post(
    '/groups/:id/events',
    {
      preHandler: asMusician,
      config: { limit: { name: 'events', points: 30, perSeconds: 3600 } },
      schema: {
        tags,
        summary: 'Create an event of the group (its admins)',
        description: 'startDate may not be in the past; latitude and longitude go together. isPublic defaults to true.',
        params: idParams,
        body: z
          .object({
            title: text(200),
            startDate: instant.describe('ISO 8601 with offset, not in the past'),
            ...optionalFields,
          })
          .strict(),
        response: { 201: one, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const created = await events.createEvent(platform, req.claims, req.params.id, req.body)
      reply.code(201)
      return { event: present(created) }
    },
  )

  http.get(
    '/groups/:id/events',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: "A group's events from `from` (default now) by date; members also see private ones",
        params: idParams,
        querystring: z.object({
          from: instant.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
        }),
        response: { 200: z.object({ events: z.array(eventSchema) }), 404: errorSchema },
      },
    },
    async (req) => ({ events: (await events.groupEvents(platform, req.claims, req.params.id, req.query)).map(present) }),
  )

  http.get(
    '/events',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Public upcoming events by date, then distance',
        description:
          'Distances are from lat/lng when given, else from your profile location. With radiusKm only events with a place ' +
          'within that distance are listed; without it, events without a place are listed too. Page with nextCursor.',
        querystring: z.object({
          lat: z.coerce.number().min(-90).max(90).optional(),
          lng: z.coerce.number().min(-180).max(180).optional(),
          radiusKm: z.coerce.number().positive().max(20_000).optional(),
          from: instant.optional().describe('Default now'),
          to: instant.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().max(500).optional(),
        }),
        response: { 200: z.object({ events: z.array(eventSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const { events: page, nextCursor } = await events.publicEvents(platform, req.claims, req.query)
      return { events: page.map(present), nextCursor }
    },
  )

  http.patch(
    '/events/:id',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Edit an event (admins of its group)',
        params: idParams,
        body: z
          .object({
            title: text(200).optional(),
            startDate: instant.optional().describe('Not in the past'),
            ...optionalFields,
          })
          .strict(),
        response: { 200: one, 404: errorSchema },
      },
    },
    async (req) => ({ event: present(await events.updateEvent(platform, req.claims, req.params.id, req.body)) }),
  )

  http.delete(
    '/events/:id',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Delete an event (admins of its group)',
        params: idParams,
        response: { 204: z.null().describe('Deleted'), 404: errorSchema },
      },
    },
    async (req, reply) => {
      await events.deleteEvent(platform, req.claims, req.params.id)
      return reply.code(204).send(null)
    },
  )
}
