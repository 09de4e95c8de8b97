// Group invitations over HTTP: admins invite and revoke; the invited musician lists, accepts or
// declines.
import { z } from 'zod'
import { type AppContext, errorSchema, idParams } from '../../../platform'
import * as invitations from './invitations-service'
import { groupSchema, invitationParams, invitationSchema, presentGroup, presentInvitation } from './schemas'

const tags = ['groups']
const one = z.object({ invitation: invitationSchema })

export async function invitationRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])

  http.post(
    '/groups/:id/invitations',
    {
      preHandler: asMusician,
      config: { limit: { name: 'invitations', points: 60, perSeconds: 3600 } },
      schema: {
        tags,
        summary: 'Invite a musician to the group (admins)',
        description: 'One pending invitation per musician and group. Musicians you blocked, or who blocked you, are not found.',
        params: idParams,
        body: z.object({ userId: z.uuid() }),
        response: { 201: one, 404: errorSchema, 409: errorSchema.describe('Already a member, or already invited') },
      },
    },
    async (req, reply) => {
      const created = await invitations.invite(platform, req.claims, req.params.id, req.body.userId)
      reply.code(201)
      return { invitation: presentInvitation(created) }
    },
  )

  http.delete(
    '/groups/:id/invitations/:invitationId',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Revoke a pending invitation (admins)',
        params: invitationParams,
        response: { 204: z.null().describe('Revoked'), 404: errorSchema, 409: errorSchema.describe('No longer pending') },
      },
    },
    async (req, reply) => {
      await invitations.revoke(platform, req.claims, req.params.id, req.params.invitationId)
      return reply.code(204).send(null)
    },
  )

  http.get(
    '/invitations',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Your pending group invitations, newest first',
        response: { 200: z.object({ invitations: z.array(invitationSchema) }) },
      },
    },
    async (req) => ({ invitations: (await invitations.myPendingInvitations(platform, req.claims)).map(presentInvitation) }),
  )

  http.post(
    '/invitations/:id/accept',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Accept an invitation: join the group as a member and its conversation',
        params: idParams,
        response: {
          200: z.object({ invitation: invitationSchema, group: groupSchema }),
          404: errorSchema,
          409: errorSchema.describe('The group is full (max_members), or the invitation is no longer pending'),
        },
      },
    },
    async (req) => {
      const { invitation, group } = await invitations.accept(platform, req.claims, req.params.id)
      return { invitation: presentInvitation(invitation), group: presentGroup(group) }
    },
  )

  http.post(
    '/invitations/:id/decline',
    {
      preHandler: asMusician,
      schema: {
        tags,
        summary: 'Decline an invitation',
        params: idParams,
        response: { 200: one, 404: errorSchema, 409: errorSchema.describe('No longer pending') },
      },
    },
    async (req) => ({ invitation: presentInvitation(await invitations.decline(platform, req.claims, req.params.id)) }),
  )
}
