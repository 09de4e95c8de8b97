// SQL for group invitations. Under withUser an invitation is visible to its invitee and to the
// group's admins (group_invitations_read); only admins insert (group_invitations_admin_invite).
import { sql } from 'kysely'
import type { Tx } from '../../../platform'

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked'

// status is text under a check constraint, so the generated type cannot name its values.
export type InvitationRow = NonNullable<Awaited<ReturnType<typeof findInvitation>>>

const COLUMNS = [
  'i.id',
  'i.groupId',
  'g.name as groupName',
  'i.invitedUserId',
  'i.invitedBy',
  'i.status',
  'i.createdAt',
  'i.respondedAt',
] as const

const base = (tx: Tx) => tx.selectFrom('bandsy.groupInvitations as i').leftJoin('bandsy.groups as g', 'g.id', 'i.groupId')

export const findInvitation = (tx: Tx, id: string, opts: { forUpdate?: boolean } = {}) => {
  const q = base(tx).select(COLUMNS).$narrowType<{ status: InvitationStatus }>().where('i.id', '=', id)
  return (opts.forUpdate ? q.forUpdate('i') : q).executeTakeFirst()
}

/** Pending invitations of a musician to groups they can see, newest first. */
export const pendingFor = (tx: Tx, userId: string): Promise<InvitationRow[]> =>
  tx
    .selectFrom('bandsy.groupInvitations as i')
    .innerJoin('bandsy.groups as g', 'g.id', 'i.groupId')
    .select(COLUMNS)
    .$narrowType<{ status: InvitationStatus }>()
    .where('i.invitedUserId', '=', userId)
    .where('i.status', '=', 'pending')
    .orderBy('i.createdAt', 'desc')
    .orderBy('i.id')
    .execute()

export async function insertInvitation(
  tx: Tx,
  v: { groupId: string; invitedUserId: string; invitedBy: string; now: Date },
): Promise<string> {
  const row = await tx
    .insertInto('bandsy.groupInvitations')
    .values({ groupId: v.groupId, invitedUserId: v.invitedUserId, invitedBy: v.invitedBy, createdAt: v.now })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function setStatus(tx: Tx, id: string, status: Exclude<InvitationStatus, 'pending'>, at: Date): Promise<boolean> {
  const rows = await tx
    .updateTable('bandsy.groupInvitations')
    .set({ status, respondedAt: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning('id')
    .execute()
  return rows.length > 0
}

export async function pendingIdFor(tx: Tx, groupId: string, userId: string): Promise<string | undefined> {
  const row = await tx
    .selectFrom('bandsy.groupInvitations')
    .select('id')
    .where('groupId', '=', groupId)
    .where('invitedUserId', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return row?.id
}

/** A musician the caller may invite: not soft-deleted (RLS hides those) and not blocked either way. */
export async function isInvitable(tx: Tx, userId: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`
    select exists (select 1 from bandsy.users u where u.id = ${userId} and u.deleted_at is null)
       and ${userId}::uuid not in (select * from bandsy.blocked_by_or_blocking_me()) as ok`.execute(tx)
  return rows[0].ok
}
