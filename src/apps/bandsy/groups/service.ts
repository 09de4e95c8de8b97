// Groups (bands): any musician founds one and becomes its admin; admins edit it, its genres and
// roles; members set their own instrument within the group and may leave. Seed rules: "Groups
// must have at least one admin", "Admin role cannot be deleted if only admin", "Group members can
// have different instruments within group". The database holds them (RLS policies and triggers
// of migration 0001); this layer gives clear answers before they are reached.
import { type Tx, withUser, type Claims, AppError, conflict, forbidden, notFound, type Platform } from '../../../platform'
import * as repo from './repository'
import { missingIds } from '../lookup-ids'
import { mappingGroupConflicts } from './trigger-errors'
import { APP } from '../app-name'

export interface GroupView extends repo.GroupSummaryRow {
  members: repo.MemberRow[]
  genres: repo.GroupGenre[]
  conversationId: string | null
}

export interface GroupInput {
  name: string
  description?: string | null
  imageUrl?: string | null
  maxMembers?: number
  genreIds?: string[]
}

export type GroupChanges = repo.GroupChanges

export async function loadGroupView(tx: Tx, groupId: string, me: string): Promise<GroupView> {
  const group = await repo.findGroup(tx, groupId, me)
  if (!group) throw notFound('Group', { id: groupId })
  const [members, genres] = [await repo.membersOf(tx, groupId), await repo.genresOf(tx, groupId)]
  return { ...group, members, genres, conversationId: group.myRole ? await repo.conversationOf(tx, groupId) : null }
}

/** The group as the caller sees it; 404 when hidden, 403 when they must be its admin and are not. */
export async function requireGroup(tx: Tx, groupId: string, me: string, need: 'visible' | 'admin' = 'visible') {
  const group = await repo.findGroup(tx, groupId, me)
  if (!group) throw notFound('Group', { id: groupId })
  if (need === 'admin' && group.myRole !== 'admin') throw forbidden('Only an admin of this group can do this')
  return group
}

export async function checkGenres(tx: Tx, genreIds: string[]) {
  const missing = await missingIds(tx, 'bandsy.genres', genreIds)
  if (missing.length) throw new AppError('validation_failed', 'Unknown genreIds', { field: 'genreIds', unknown: missing })
}

export async function createGroup(platform: Platform, claims: Claims, input: GroupInput): Promise<GroupView> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const genreIds = [...new Set(input.genreIds ?? [])]
    await checkGenres(tx, genreIds)
    const id = await repo.insertGroup(tx, {
      name: input.name,
      description: input.description ?? null,
      imageUrl: input.imageUrl ?? null,
      maxMembers: input.maxMembers ?? 10,
    })
    await repo.replaceGenres(tx, id, genreIds)
    await platform.audit.record(tx, {
      app: APP,
      actorId: claims.sub,
      actorRole: claims.role,
      action: 'group.created',
      subjectType: 'group',
      subjectId: id,
    })
    return loadGroupView(tx, id, claims.sub)
  })
}

export const getGroup = (platform: Platform, claims: Claims, id: string) =>
  withUser(platform.db.kysely, claims, (tx) => loadGroupView(tx, id, claims.sub))

export const listGroups = (platform: Platform, claims: Claims, q: { mine: boolean; limit: number; offset: number }) =>
  withUser(platform.db.kysely, claims, (tx) =>
    q.mine ? repo.myGroups(tx, claims.sub) : repo.activeGroups(tx, claims.sub, q.limit, q.offset),
  )

export async function updateGroup(platform: Platform, claims: Claims, id: string, changes: GroupChanges): Promise<GroupView> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, id, claims.sub, 'admin')
    if (changes.maxMembers !== undefined) {
      // Locked like the member-limit trigger locks it, so no one joins between count and change.
      await repo.lockGroup(tx, id)
      const members = await repo.countMembers(tx, id)
      if (changes.maxMembers < members)
        throw conflict(`maxMembers cannot be below the current member count (${members})`, { field: 'maxMembers', memberCount: members })
    }
    await repo.updateGroup(tx, id, changes)
    return loadGroupView(tx, id, claims.sub)
  })
}

export async function deleteGroup(platform: Platform, claims: Claims, id: string): Promise<void> {
  await withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, id, claims.sub, 'admin')
    if (!(await repo.deleteGroup(tx, id))) throw notFound('Group', { id })
    await platform.audit.record(tx, {
      app: APP,
      actorId: claims.sub,
      actorRole: claims.role,
      action: 'group.deleted',
      subjectType: 'group',
      subjectId: id,
    })
  })
}

export async function setGenres(platform: Platform, claims: Claims, id: string, genreIds: string[]): Promise<GroupView> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    await requireGroup(tx, id, claims.sub, 'admin')
    const unique = [...new Set(genreIds)]
    await checkGenres(tx, unique)
    await repo.replaceGenres(tx, id, unique)
    return loadGroupView(tx, id, claims.sub)
  })
}

/**
 * Role changes are for admins; the instrument a member plays in the group is theirs to set (an
 * admin may set anyone's). Demoting the last admin is refused by bandsy.keep_one_admin.
 */
export async function updateMember(
  platform: Platform,
  claims: Claims,
  groupId: string,
  userId: string,
  changes: { role?: repo.GroupRole; instrumentId?: string | null },
): Promise<GroupView> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const group = await requireGroup(tx, groupId, claims.sub)
    const isAdmin = group.myRole === 'admin'
    const target = await repo.findMember(tx, groupId, userId)
    if (!target) throw notFound('Member of this group', { groupId, userId })
    if (changes.role !== undefined && changes.role !== target.role && !isAdmin)
      throw forbidden('Only an admin of this group can change roles')
    if (changes.instrumentId !== undefined && userId !== claims.sub && !isAdmin)
      throw forbidden("Only the member or an admin of this group can set the member's instrument")
    if (changes.instrumentId && (await missingIds(tx, 'bandsy.instruments', [changes.instrumentId])).length)
      throw notFound('Instrument', { field: 'instrumentId', instrumentId: changes.instrumentId })
    // The checks above read before the update: an admin demoted by another admin in between is
    // refused here by the policy, which lets the update reach no row.
    if (!(await mappingGroupConflicts(() => repo.updateMember(tx, groupId, userId, changes))))
      throw forbidden('Only an admin of this group can change this member')
    return loadGroupView(tx, groupId, claims.sub)
  })
}

/** Leaving (yourself) or removing (an admin removes another member); the last admin stays. */
export async function removeMember(platform: Platform, claims: Claims, groupId: string, userId: string): Promise<void> {
  await withUser(platform.db.kysely, claims, async (tx) => {
    const group = await requireGroup(tx, groupId, claims.sub)
    if (userId !== claims.sub && group.myRole !== 'admin') throw forbidden('Only an admin of this group can remove other members')
    const removed = await mappingGroupConflicts(() => repo.deleteMember(tx, groupId, userId))
    if (!removed) throw notFound('Member of this group', { groupId, userId })
    await platform.audit.record(tx, {
      app: APP,
      actorId: claims.sub,
      actorRole: claims.role,
      action: userId === claims.sub ? 'group.left' : 'group.member_removed',
      subjectType: 'group',
      subjectId: groupId,
      data: { userId },
    })
  })
}
