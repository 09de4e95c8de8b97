// Groups (bands) over HTTP: found, read, list, edit and delete a group; its genres; its members'
// roles and instruments; leaving and removing. Invitations are in invitation-routes.ts.
import { z } from 'zod'
import { type AppContext, errorSchema, idParams, BandsyGroupRoleValues } from '../../../platform'
import * as groups from './service'
import {
  genreIds,
  groupMemberParams,
  groupSchema,
  groupSummarySchema,
  optionalText,
  presentGroup,
  presentSummary,
  text,
  url,
} from './schemas'
import { invitationRoutes } from './invitation-routes'

const tags = ['groups']
const one = z.object({ group: groupSchema })
const maxMembers = z.number().int().min(2).max(100)
const boolString = z.enum(['true', 'false']).transform((v) => v === 'true')

export async function groupRoutes(ctx: AppContext) {
  const { http, platform, guard } = ctx
  const asMusician = guard(['musician'])

  http.post(
    '/groups',
    {
      preHandler: asMusician,
      config: { limit: { name: 'groups', points: 20, perSeconds: 3600 } },
      schema: {
        tags,
        summary: 'Found a group; you become its admin and its conversation opens',
        body: z.object({
          name: text(200),
          description: optionalText(5000).nullish(),
          imageUrl: url.nullish(),
          maxMembers: maxMembers.default(10).describe('2..100, default 10'),
          genreIds: genreIds.optional(),
        }),
        response: { 201: one, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const group = await groups.createGroup(platform, req.claims, req.body)
      reply.code(201)
      return { group: presentGroup(group) }
    },
  )

  http.get(
    '/groups',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Your groups (mine=true, the default), or active groups newest first (mine=false)',
        querystring: z.object({
          mine: boolString.default(true),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          offset: z.coerce.number().int().min(0).max(100_000).default(0),
        }),
        response: { 200: z.object({ groups: z.array(groupSummarySchema) }) },
      },
    },
    async (req) => ({ groups: (await groups.listGroups(platform, req.claims, req.query)).map(presentSummary) }),
  )

  http.get(
    '/groups/:id',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'A group with its members, genres and (for members) its conversation',
        description: 'Inactive groups are visible to their members only.',
        params: idParams,
        response: { 200: one, 404: errorSchema },
      },
    },
    async (req) => ({ group: presentGroup(await groups.getGroup(platform, req.claims, req.params.id)) }),
  )

  http.patch(
    '/groups/:id',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Edit a group (admins)',
        params: idParams,
        body: z
          .object({
            name: text(200).optional(),
            description: optionalText(5000).nullable().optional(),
            imageUrl: url.nullable().optional(),
            maxMembers: maxMembers.optional().describe('Not below the current member count'),
            isActive: z.boolean().optional(),
          })
          .strict(),
        response: { 200: one, 404: errorSchema, 409: errorSchema.describe('maxMembers below the current member count') },
      },
    },
    async (req) => ({ group: presentGroup(await groups.updateGroup(platform, req.claims, req.params.id, req.body)) }),
  )

  http.delete(
    '/groups/:id',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Delete a group with its conversation, invitations and events (admins)',
        params: idParams,
        response: { 204: z.null().describe('Deleted'), 404: errorSchema },
      },
    },
    async (req, reply) => {
      await groups.deleteGroup(platform, req.claims, req.params.id)
      return reply.code(204).send(null)
    },
  )

  http.put(
    '/groups/:id/genres',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: "Replace a group's genres (admins)",
        params: idParams,
        body: z.object({ genreIds }),
        response: { 200: one, 404: errorSchema },
      },
    },
    async (req) => ({ group: presentGroup(await groups.setGenres(platform, req.claims, req.params.id, req.body.genreIds)) }),
  )

  http.patch(
    '/groups/:id/members/:userId',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: "Change a member's role (admins) or instrument (admins, or the member themself)",
        description: 'Each member can play a different instrument within the group. A group always keeps at least one admin.',
        params: groupMemberParams,
        body: z
          .object({
            role: z.enum(BandsyGroupRoleValues).optional(),
            instrumentId: z.uuid().nullable().optional().describe('An instrument id from GET /catalog; null clears it'),
          })
          .strict(),
        response: { 200: one, 404: errorSchema, 409: errorSchema.describe('The last admin cannot be demoted') },
      },
    },
    async (req) => ({
      group: presentGroup(await groups.updateMember(platform, req.claims, req.params.id, req.params.userId, req.body)),
    }),
  )

  http.delete(
    '/groups/:id/members/:userId',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Leave a group (your own id) or remove a member (admins)',
        description: 'The last admin cannot leave: make another member admin first.',
        params: groupMemberParams,
        response: { 204: z.null().describe('Removed'), 404: errorSchema, 409: errorSchema.describe('The last admin cannot leave') },
      },
    },
    async (req, reply) => {
      await groups.removeMember(platform, req.claims, req.params.id, req.params.userId)
      return reply.code(204).send(null)
    },
  )

  await invitationRoutes(ctx)
}
