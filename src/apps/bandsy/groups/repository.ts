// SQL for groups, their members and genres. Every function takes the caller's transaction: under
// withUser, row-level security decides which groups are visible (active ones, and one's own) and
// who may write (bandsy.is_group_admin); the triggers of migration 0001 keep the admins, the
// member limit and the group conversation.
import { sql } from 'kysely'
import type { Tx, BandsyGroupRole } from '../../../platform'

export type GroupRole = BandsyGroupRole

export type GroupSummaryRow = NonNullable<Awaited<ReturnType<typeof findGroup>>>
export type GroupChanges = Partial<Pick<GroupSummaryRow, 'name' | 'description' | 'imageUrl' | 'maxMembers' | 'isActive'>>

export type MemberRow = Awaited<ReturnType<typeof membersOf>>[number]

export interface GroupGenre {
  genreId: string
  name: string
}

const GROUP_COLUMNS = ['g.id', 'g.name', 'g.description', 'g.imageUrl', 'g.isActive', 'g.maxMembers', 'g.createdAt', 'g.updatedAt'] as const

const memberCount = sql<number>`(select count(*) from bandsy.group_members gm where gm.group_id = g.id)::int`
const myRole = (me: string) =>
  sql<GroupRole | null>`(select gm.role from bandsy.group_members gm where gm.group_id = g.id and gm.user_id = ${me})`

export async function insertGroup(
  tx: Tx,
  values: { name: string; description: string | null; imageUrl: string | null; maxMembers: number },
): Promise<string> {
  // bandsy.found_group makes the caller admin and opens the group conversation.
  const row = await tx.insertInto('bandsy.groups').values(values).returning('id').executeTakeFirstOrThrow()
  return row.id
}

export const findGroup = (tx: Tx, id: string, me: string) =>
  tx
    .selectFrom('bandsy.groups as g')
    .select([...GROUP_COLUMNS, memberCount.as('memberCount'), myRole(me).as('myRole')])
    .where('g.id', '=', id)
    .executeTakeFirst()

/** Locks the group row, which the member-limit and keep-one-admin triggers also lock. */
export async function lockGroup(tx: Tx, id: string): Promise<boolean> {
  const row = await tx.selectFrom('bandsy.groups').select('id').where('id', '=', id).forUpdate().executeTakeFirst()
  return !!row
}

export async function countMembers(tx: Tx, groupId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from bandsy.group_members where group_id = ${groupId}`.execute(tx)
  return rows[0].n
}

export const myGroups = (tx: Tx, me: string): Promise<GroupSummaryRow[]> =>
  tx
    .selectFrom('bandsy.groups as g')
    .innerJoin('bandsy.groupMembers as mine', (j) => j.onRef('mine.groupId', '=', 'g.id').on('mine.userId', '=', me))
    .select([...GROUP_COLUMNS, memberCount.as('memberCount'), 'mine.role as myRole'])
    .orderBy('g.name')
    .orderBy('g.id')
    .execute()

export const activeGroups = (tx: Tx, me: string, limit: number, offset: number): Promise<GroupSummaryRow[]> =>
  tx
    .selectFrom('bandsy.groups as g')
    .select([...GROUP_COLUMNS, memberCount.as('memberCount'), myRole(me).as('myRole')])
    .where('g.isActive', '=', true)
    .orderBy('g.createdAt', 'desc')
    .orderBy('g.id')
    .limit(limit)
    .offset(offset)
    .execute()

export async function updateGroup(tx: Tx, id: string, values: GroupChanges) {
  if (Object.keys(values).length === 0) return
  await tx.updateTable('bandsy.groups').set(values).where('id', '=', id).execute()
}

export async function deleteGroup(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx.deleteFrom('bandsy.groups').where('id', '=', id).returning('id').execute()
  return rows.length > 0
}

/** Members with their public card; soft-deleted users are left out (users_read_visible hides them too). */
export const membersOf = (tx: Tx, groupId: string) =>
  tx
    .selectFrom('bandsy.groupMembers as gm')
    .innerJoin('bandsy.users as u', 'u.id', 'gm.userId')
    .leftJoin('bandsy.instruments as i', 'i.id', 'gm.instrumentId')
    .select([
      'gm.userId',
      'gm.role',
      'gm.instrumentId',
      'i.name as instrumentName',
      'gm.joinedAt',
      'u.username',
      'u.displayName',
      'u.profileImageUrl',
      'u.city',
      'u.country',
    ])
    .where('gm.groupId', '=', groupId)
    .where('u.deletedAt', 'is', null)
    .orderBy(sql`gm.role = 'admin'`, 'desc')
    .orderBy('gm.joinedAt')
    .orderBy('gm.userId')
    .execute()

export const findMember = (
  tx: Tx,
  groupId: string,
  userId: string,
): Promise<{ userId: string; role: GroupRole; instrumentId: string | null } | undefined> =>
  tx
    .selectFrom('bandsy.groupMembers')
    .select(['userId', 'role', 'instrumentId'])
    .where('groupId', '=', groupId)
    .where('userId', '=', userId)
    .executeTakeFirst()

/** False when row-level security let no row be changed (e.g. the caller stopped being an admin meanwhile). */
export async function updateMember(
  tx: Tx,
  groupId: string,
  userId: string,
  values: { role?: GroupRole; instrumentId?: string | null },
): Promise<boolean> {
  if (Object.keys(values).length === 0) return true
  const r = await tx
    .updateTable('bandsy.groupMembers')
    .set(values)
    .where('groupId', '=', groupId)
    .where('userId', '=', userId)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

export async function deleteMember(tx: Tx, groupId: string, userId: string): Promise<boolean> {
  const rows = await tx
    .deleteFrom('bandsy.groupMembers')
    .where('groupId', '=', groupId)
    .where('userId', '=', userId)
    .returning('id')
    .execute()
  return rows.length > 0
}

export async function insertMember(tx: Tx, groupId: string, userId: string) {
  await tx.insertInto('bandsy.groupMembers').values({ groupId, userId, role: 'member' }).execute()
}

export const genresOf = (tx: Tx, groupId: string): Promise<GroupGenre[]> =>
  tx
    .selectFrom('bandsy.groupGenres as gg')
    .innerJoin('bandsy.genres as ge', 'ge.id', 'gg.genreId')
    .select(['gg.genreId', 'ge.name'])
    .where('gg.groupId', '=', groupId)
    .orderBy('ge.name')
    .execute()

export async function replaceGenres(tx: Tx, groupId: string, genreIds: string[]) {
  await tx.deleteFrom('bandsy.groupGenres').where('groupId', '=', groupId).execute()
  if (genreIds.length)
    await tx
      .insertInto('bandsy.groupGenres')
      .values(genreIds.map((genreId) => ({ groupId, genreId })))
      .execute()
}

/** The group conversation; under RLS only its participants (the members) see it. */
export async function conversationOf(tx: Tx, groupId: string): Promise<string | null> {
  const row = await tx.selectFrom('bandsy.conversations').select('id').where('groupId', '=', groupId).executeTakeFirst()
  return row?.id ?? null
}
