// HTTP shapes of groups, members and invitations. A member is shown by their public card: never
// coordinates or email.
import { z } from 'zod'
import type { GroupView } from './service'
import type { GroupSummaryRow, MemberRow } from './repository'
import type { InvitationRow } from './invitations-repository'
import { BandsyGroupRoleValues } from '../../../platform'

// Postgres text cannot hold NUL; refusing it here keeps that a 400 rather than a database error.
const noNul = (s: string) => !s.includes('\u0000')
export const text = (max: number) => z.string().trim().min(1).max(max).refine(noNul, 'must not contain NUL characters')
export const optionalText = (max: number) => z.string().trim().max(max).refine(noNul, 'must not contain NUL characters')
export const url = z
  .string()
  .trim()
  .max(500)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
export const genreIds = z.array(z.uuid()).max(20).describe('Genre ids from GET /catalog (at most 20)')
export const groupMemberParams = z.object({ id: z.uuid(), userId: z.uuid() })
export const invitationParams = z.object({ id: z.uuid(), invitationId: z.uuid() })

const role = z.enum(BandsyGroupRoleValues)

const groupFields = {
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  imageUrl: z.string().nullable(),
  isActive: z.boolean(),
  maxMembers: z.number().int(),
  memberCount: z.number().int().describe('Places taken, out of maxMembers'),
  myRole: role.nullable().describe("The caller's role, null when not a member"),
  createdAt: z.date(),
  updatedAt: z.date(),
}

export const groupSummarySchema = z.object(groupFields).meta({ id: 'BandsyGroupSummary' })

export const memberSchema = z
  .object({
    userId: z.uuid(),
    role,
    instrument: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('What they play in this group'),
    joinedAt: z.date(),
    user: z.object({
      id: z.uuid(),
      username: z.string(),
      displayName: z.string(),
      profileImageUrl: z.string().nullable(),
      city: z.string().nullable(),
      country: z.string().nullable(),
    }),
  })
  .meta({ id: 'BandsyGroupMember' })

export const groupSchema = z
  .object({
    ...groupFields,
    members: z.array(memberSchema),
    genres: z.array(z.object({ id: z.uuid(), name: z.string() })),
    conversationId: z.uuid().nullable().describe('The group conversation; only for members'),
  })
  .meta({ id: 'BandsyGroup' })

export const invitationSchema = z
  .object({
    id: z.uuid(),
    groupId: z.uuid(),
    groupName: z.string().nullable(),
    invitedUserId: z.uuid(),
    invitedBy: z.uuid().nullable(),
    status: z.enum(['pending', 'accepted', 'declined', 'revoked']),
    createdAt: z.date(),
    respondedAt: z.date().nullable(),
  })
  .meta({ id: 'BandsyGroupInvitation' })

export const presentSummary = (g: GroupSummaryRow) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  imageUrl: g.imageUrl,
  isActive: g.isActive ?? true,
  maxMembers: g.maxMembers ?? 10,
  memberCount: g.memberCount,
  myRole: g.myRole,
  createdAt: g.createdAt,
  updatedAt: g.updatedAt,
})

const presentMember = (m: MemberRow) => ({
  userId: m.userId,
  role: m.role,
  instrument: m.instrumentId ? { id: m.instrumentId, name: m.instrumentName ?? '' } : null,
  joinedAt: m.joinedAt,
  user: {
    id: m.userId,
    username: m.username,
    displayName: m.displayName,
    profileImageUrl: m.profileImageUrl,
    city: m.city,
    country: m.country,
  },
})

export const presentGroup = (g: GroupView) => ({
  ...presentSummary(g),
  members: g.members.map(presentMember),
  genres: g.genres.map((x) => ({ id: x.genreId, name: x.name })),
  conversationId: g.conversationId,
})

export const presentInvitation = (i: InvitationRow) => ({
  id: i.id,
  groupId: i.groupId,
  groupName: i.groupName,
  invitedUserId: i.invitedUserId,
  invitedBy: i.invitedBy,
  status: i.status,
  createdAt: i.createdAt,
  respondedAt: i.respondedAt,
})
