// SQL for swipes, blocks and super-like spends. Every function takes the caller's transaction:
// under withUser, row-level security lets a musician see and write only their own interactions
// (and, through user_interactions_liked_me, the likes sent to them).
import { sql, type Selectable } from 'kysely'
import type { Tx, BandsyInteractionContext, BandsyInteractionType, BandsyUserInteractions } from '../../../platform'
import { musicianCard, type MusicianCard } from '../matches/musician-card'

export const SWIPES = ['like', 'pass', 'super_like'] as const satisfies readonly BandsyInteractionType[]
export type Swipe = (typeof SWIPES)[number]
export type InteractionType = BandsyInteractionType
export type InteractionContext = BandsyInteractionContext

const COLUMNS = ['id', 'fromUserId', 'toUserId', 'type', 'context', 'createdAt'] as const
export type InteractionRow = Pick<Selectable<BandsyUserInteractions>, (typeof COLUMNS)[number]>

/**
 * Serialises one musician's super likes, so today's are counted with no other of theirs in flight.
 * Taken before lockSwipe when both are needed, never after.
 */
export async function lockSuperLikes(tx: Tx, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'bandsy.super_likes:' + userId}, 0))`.execute(tx)
}

/**
 * Takes the lock on the caller's swipe on `toUserId` (so a racing pass and like cannot both
 * stay), and says whether the target is visible (not soft-deleted: users_read_visible hides
 * them), whether either has blocked the other, and whether the caller's own account is still
 * there (an access token outlives its account's deletion by up to its lifetime). One round trip.
 */
export async function lockSwipe(
  tx: Tx,
  fromUserId: string,
  toUserId: string,
): Promise<{ callerActive: boolean; visible: boolean; blocked: boolean }> {
  // The lock is taken in FROM, before the checks run.
  const { rows } = await sql<{ callerActive: boolean; visible: boolean; blocked: boolean }>`
    select exists (select 1 from bandsy.users where id = ${fromUserId}::uuid and deleted_at is null) as caller_active,
           exists (select 1 from bandsy.users where id = ${toUserId}::uuid and deleted_at is null) as visible,
           exists (select 1 from bandsy.blocked_by_or_blocking_me() b where b = ${toUserId}::uuid) as blocked
    from (select pg_advisory_xact_lock(hashtextextended(${'bandsy.swipe:' + fromUserId + ':' + toUserId}, 0))) as locked`.execute(tx)
  return rows[0]
}

export async function findInteraction(
  tx: Tx,
  fromUserId: string,
  toUserId: string,
  type: InteractionType,
): Promise<InteractionRow | undefined> {
  return tx
    .selectFrom('bandsy.userInteractions')
    .select(COLUMNS)
    .where((eb) => eb.and({ fromUserId, toUserId, type }))
    .executeTakeFirst()
}

/** Removes the caller's swipes on the target other than `keep`. */
export async function deleteOtherSwipes(tx: Tx, fromUserId: string, toUserId: string, keep?: Swipe): Promise<void> {
  await tx
    .deleteFrom('bandsy.userInteractions')
    .where('fromUserId', '=', fromUserId)
    .where('toUserId', '=', toUserId)
    .where(
      'type',
      'in',
      SWIPES.filter((s) => s !== keep),
    )
    .execute()
}

/** Inserts the interaction unless the same one exists; undefined then. */
export async function insertInteraction(
  tx: Tx,
  i: { fromUserId: string; toUserId: string; type: InteractionType; context: InteractionContext; createdAt: Date },
): Promise<InteractionRow | undefined> {
  return tx
    .insertInto('bandsy.userInteractions')
    .values(i)
    .onConflict((oc) => oc.constraint('unique_user_interaction').doNothing())
    .returning(COLUMNS)
    .executeTakeFirst()
}

export async function deleteInteraction(
  tx: Tx,
  fromUserId: string,
  toUserId: string,
  type: InteractionType,
): Promise<InteractionRow | undefined> {
  return tx
    .deleteFrom('bandsy.userInteractions')
    .where((eb) => eb.and({ fromUserId, toUserId, type }))
    .returning(COLUMNS)
    .executeTakeFirst()
}

/** Super likes the user sent since `since` (start of the UTC day). */
export async function superLikesSince(tx: Tx, userId: string, since: Date): Promise<number> {
  const row = await tx
    .selectFrom('bandsy.superLikeSpends')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('userId', '=', userId)
    .where('spentAt', '>=', since)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function recordSuperLike(tx: Tx, userId: string, toUserId: string, at: Date): Promise<void> {
  await tx.insertInto('bandsy.superLikeSpends').values({ userId, toUserId, spentAt: at }).execute()
}

/** Ends the active match between the caller and `otherId`, if any (matches_participants_end allows it). */
export async function blockActiveMatch(tx: Tx, meId: string, otherId: string): Promise<void> {
  const [lo, hi] = meId < otherId ? [meId, otherId] : [otherId, meId]
  await tx
    .updateTable('bandsy.matches')
    .set({ status: 'blocked' })
    .where('user1Id', '=', lo)
    .where('user2Id', '=', hi)
    .where('status', '=', 'active')
    .execute()
}

export interface ReceivedLike {
  id: string
  type: 'like' | 'super_like'
  context: InteractionContext
  createdAt: Date
  musician: MusicianCard
}

/**
 * Likes sent to the caller, newest first: user_interactions_liked_me decides which of them the
 * caller may see at all (super likes always, plain likes on premium and pro). Senders who are
 * blocked either way, deleted, or already matched with the caller are left out.
 */
export async function receivedLikes(
  tx: Tx,
  q: { meId: string; types: ('like' | 'super_like')[]; limit: number; after?: { createdAt: Date; id: string } },
): Promise<ReceivedLike[]> {
  const { rows } = await sql<ReceivedLike>`
    select i.id, i.type, i.context, i.created_at, ${musicianCard('u')} as musician
    from bandsy.user_interactions i
    join bandsy.users u on u.id = i.from_user_id and u.deleted_at is null
    where i.to_user_id = ${q.meId}::uuid
      and i.type::text = any(${q.types}::text[])
      and i.from_user_id not in (select b from bandsy.blocked_by_or_blocking_me() b)
      and not exists (select 1 from bandsy.matches m
                       where m.user1_id = least(i.from_user_id, i.to_user_id) and m.user2_id = greatest(i.from_user_id, i.to_user_id))
      and (${q.after?.createdAt ?? null}::timestamptz is null
           or (i.created_at, i.id) < (${q.after?.createdAt ?? null}::timestamptz, ${q.after?.id ?? null}::uuid))
    order by i.created_at desc, i.id desc
    limit ${q.limit}`.execute(tx)
  return rows
}

/** The keyset of a like sent to the caller, for a cursor. */
export async function receivedLikeKey(tx: Tx, meId: string, id: string): Promise<{ createdAt: Date; id: string } | undefined> {
  return tx
    .selectFrom('bandsy.userInteractions')
    .select(['createdAt', 'id'])
    .where('id', '=', id)
    .where('toUserId', '=', meId)
    .executeTakeFirst()
}
