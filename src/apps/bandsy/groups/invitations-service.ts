// Groups are joined by invitation: an admin invites a musician, who accepts (joining as a member,
// up to max_members) or declines; an admin may revoke a pending invitation. The join itself goes
// through the RLS policy group_members_join, which wants a pending invitation for the caller, and
// the invitation is marked accepted in the same transaction.
import { type Tx, withUser, type Claims, conflict, notFound, type Platform } from '../../../platform'
import * as groups from './repository'
import * as repo from './invitations-repository'
import { loadGroupView, requireGroup, type GroupView } from './service'
import { mappingGroupConflicts } from './trigger-errors'
import { APP } from '../app-name'

export async function invite(platform: Platform, claims: Claims, groupId: string, userId: string): Promise<repo.InvitationRow> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const group = await requireGroup(tx, groupId, claims.sub, 'admin')
    // Hidden and blocked musicians get the same answer as ones that do not exist.
    if (!(await repo.isInvitable(tx, userId))) throw notFound('Musician', { userId })
    if (await groups.findMember(tx, groupId, userId)) throw conflict('This musician is already a member of the group', { userId })
    const pending = await repo.pendingIdFor(tx, groupId, userId)
    if (pending) throw conflict('This musician already has a pending invitation to the group', { invitationId: pending })
    const id = await mappingUniquePending(() => repo.insertInvitation(tx, { groupId, invitedUserId: userId, invitedBy: claims.sub, now }))
    await platform.notify.notify(tx, {
      app: APP,
      userId,
      type: 'group.invitation',
      title: `You are invited to join ${group.name}`,
      data: { invitationId: id, groupId },
    })
    return (await repo.findInvitation(tx, id))!
  })
}

export const myPendingInvitations = (platform: Platform, claims: Claims) =>
  withUser(platform.db.kysely, claims, (tx) => repo.pendingFor(tx, claims.sub))

export async function accept(
  platform: Platform,
  claims: Claims,
  id: string,
): Promise<{ invitation: repo.InvitationRow; group: GroupView }> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    const invitation = await pendingOwnInvitation(tx, claims, id)
    const group = await requireGroup(tx, invitation.groupId, claims.sub)
    if (group.myRole) throw conflict('You are already a member of this group')
    await mappingGroupConflicts(() => groups.insertMember(tx, invitation.groupId, claims.sub), group)
    await repo.setStatus(tx, id, 'accepted', now)
    return { invitation: (await repo.findInvitation(tx, id))!, group: await loadGroupView(tx, invitation.groupId, claims.sub) }
  })
}

export async function decline(platform: Platform, claims: Claims, id: string): Promise<repo.InvitationRow> {
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    await pendingOwnInvitation(tx, claims, id)
    await repo.setStatus(tx, id, 'declined', now)
    return (await repo.findInvitation(tx, id))!
  })
}

export async function revoke(platform: Platform, claims: Claims, groupId: string, id: string): Promise<void> {
  const now = platform.clock.now()
  await withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, groupId, claims.sub, 'admin')
    const invitation = await repo.findInvitation(tx, id, { forUpdate: true })
    if (!invitation || invitation.groupId !== groupId) throw notFound('Invitation', { id })
    if (invitation.status !== 'pending') throw conflict(`This invitation was already ${invitation.status}`, { status: invitation.status })
    await repo.setStatus(tx, id, 'revoked', now)
  })
}

async function pendingOwnInvitation(tx: Tx, claims: Claims, id: string) {
  // The row lock orders an answer against a revocation or a second answer.
  const invitation = await repo.findInvitation(tx, id, { forUpdate: true })
  if (!invitation || invitation.invitedUserId !== claims.sub) throw notFound('Invitation', { id })
  if (invitation.status !== 'pending') throw conflict(`This invitation was already ${invitation.status}`, { status: invitation.status })
  return invitation
}

/** Two admins inviting the same musician at once: the unique index keeps one pending invitation. */
async function mappingUniquePending<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const e = err as { code?: string; constraint?: string }
    if (e?.code === '23505' && e.constraint === 'group_invitations_one_pending_idx')
      throw conflict('This musician already has a pending invitation to the group')
    throw err
  }
}
