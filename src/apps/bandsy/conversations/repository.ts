// SQL Bandsy adds around the platform's messaging: who the participants are, and why a
// conversation does not take messages. Runs inside withUser, under Bandsy's RLS.
import { sql } from 'kysely'
import type { Tx } from '../../../platform'

export interface ParticipantProfile {
  id: string
  username: string
  displayName: string
  profileImageUrl: string | null
}

/** Profiles the caller may see (soft-deleted musicians are hidden by RLS). */
export async function profiles(tx: Tx, ids: string[]): Promise<Map<string, ParticipantProfile>> {
  if (!ids.length) return new Map()
  const rows = await tx
    .selectFrom('bandsy.users')
    .select(['id', 'username', 'displayName', 'profileImageUrl'])
    .where('id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((r: ParticipantProfile) => [r.id, r]))
}

export interface PostingState {
  matchStatus: string | null
  groupActive: boolean | null
  canPost: boolean
}

/** The state behind bandsy.can_post, for a clear answer; the insert policy still decides. */
export async function postingState(tx: Tx, conversationId: string): Promise<PostingState | undefined> {
  const { rows } = await sql<PostingState>`
    select m.status as "matchStatus", g.is_active as "groupActive", bandsy.can_post(c.id) as "canPost"
      from bandsy.conversations c
      left join bandsy.matches m on m.id = c.match_id
      left join bandsy.groups g on g.id = c.group_id
     where c.id = ${conversationId}`.execute(tx)
  return rows[0]
}

export async function isVisible(tx: Tx, conversationId: string): Promise<boolean> {
  const row = await tx.selectFrom('bandsy.conversations').select('id').where('id', '=', conversationId).executeTakeFirst()
  return !!row
}
