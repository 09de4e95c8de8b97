// SQL for matches. Every function takes the caller's transaction: under withUser,
// matches_participants_read shows a musician only their own matches, and users_read_visible hides
// soft-deleted musicians (so a match with one disappears from lists and lookups).
import { sql } from 'kysely'
import type { Tx } from '../../../platform'
import { musicianCard, type MusicianCard } from './musician-card'

export type MatchStatus = 'active' | 'unmatched' | 'blocked'

export interface MatchFactor {
  name: string
  weight: number
  value: number
  points: number
  reason: string
  inputs: unknown
}

export interface MatchView {
  id: string
  status: MatchStatus
  score: number | null
  factors: MatchFactor[]
  conversationId: string | null
  createdAt: Date
  updatedAt: Date
  musician: MusicianCard
}

interface MatchViewRow extends Omit<MatchView, 'factors'> {
  factors: unknown
}

const toView = (r: MatchViewRow): MatchView => ({ ...r, factors: Array.isArray(r.factors) ? (r.factors as MatchFactor[]) : [] })

function matchesOf(meId: string) {
  return sql`
    select m.id, m.status, m.match_score as score, m.match_factors as factors, c.id as conversation_id,
           m.created_at, m.updated_at, ${musicianCard('u')} as musician
    from bandsy.matches m
    join bandsy.users u on u.id = case when m.user1_id = ${meId}::uuid then m.user2_id else m.user1_id end and u.deleted_at is null
    left join bandsy.conversations c on c.match_id = m.id
    where ${meId}::uuid in (m.user1_id, m.user2_id)`
}

/** The caller's matches, newest first, after the keyset (createdAt, id) of `after` when given. */
export async function listMatches(
  tx: Tx,
  q: { meId: string; status: MatchStatus | 'all'; limit: number; after?: { createdAt: Date; id: string } },
): Promise<MatchView[]> {
  const { rows } = await sql<MatchViewRow>`
    ${matchesOf(q.meId)}
      and (${q.status}::text = 'all' or m.status = ${q.status}::text)
      and (${q.after?.createdAt ?? null}::timestamptz is null or (m.created_at, m.id) < (${q.after?.createdAt ?? null}::timestamptz, ${q.after?.id ?? null}::uuid))
    order by m.created_at desc, m.id desc
    limit ${q.limit}`.execute(tx)
  return rows.map(toView)
}

export async function findMatch(tx: Tx, meId: string, matchId: string): Promise<MatchView | undefined> {
  const { rows } = await sql<MatchViewRow>`${matchesOf(meId)} and m.id = ${matchId}::uuid`.execute(tx)
  return rows[0] && toView(rows[0])
}

/** The keyset of one of the caller's matches, for a cursor. */
export async function matchKey(tx: Tx, matchId: string): Promise<{ createdAt: Date; id: string } | undefined> {
  return tx.selectFrom('bandsy.matches').select(['createdAt', 'id']).where('id', '=', matchId).executeTakeFirst()
}

/** Active -> unmatched; an unmatched or blocked match keeps its status (the policy only ends active ones). */
export async function unmatch(tx: Tx, matchId: string): Promise<void> {
  await tx.updateTable('bandsy.matches').set({ status: 'unmatched' }).where('id', '=', matchId).where('status', '=', 'active').execute()
}

/** bandsy.create_mutual_match: the match between the caller and `otherId` when both liked, else undefined. */
export async function createMutualMatch(
  tx: Tx,
  otherId: string,
  score: number,
  factors: unknown,
): Promise<{ matchId: string; created: boolean } | undefined> {
  const { rows } = await sql<{ matchId: string; created: boolean }>`
    select match_id, created from bandsy.create_mutual_match(${otherId}::uuid, ${score}, ${JSON.stringify(factors)}::json)`.execute(tx)
  return rows[0]
}

/** The match's conversation and stored score. */
export async function matchSummary(tx: Tx, matchId: string): Promise<{ conversationId: string; score: number | null } | undefined> {
  return tx
    .selectFrom('bandsy.matches as m')
    .innerJoin('bandsy.conversations as c', 'c.matchId', 'm.id')
    .select(['c.id as conversationId', 'm.matchScore as score'])
    .where('m.id', '=', matchId)
    .executeTakeFirst()
}
