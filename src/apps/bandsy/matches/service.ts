// Matches: listing and reading the caller's own, and ending one. Matches are only ever created by
// bandsy.create_mutual_match, called from the interactions service after a like.
import { withUser, withUserRead, type Claims, AppError, notFound, type Platform } from '../../../platform'
import * as repo from './repository'

export interface MatchPage {
  matches: repo.MatchView[]
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
}

export async function listMatches(
  platform: Platform,
  claims: Claims,
  q: { status: repo.MatchStatus | 'all'; limit: number; cursor?: string },
): Promise<MatchPage> {
  return withUserRead(platform, claims, async (tx) => {
    const after = q.cursor ? await repo.matchKey(tx, q.cursor) : undefined
    if (q.cursor && !after)
      throw new AppError('validation_failed', 'query.cursor: not one of your matches; use the nextCursor of a previous page', {
        field: 'query.cursor',
      })
    // One extra row tells whether another page follows.
    const rows = await repo.listMatches(tx, { meId: claims.sub, status: q.status, limit: q.limit + 1, after })
    const page = rows.slice(0, q.limit)
    return { matches: page, nextCursor: rows.length > q.limit ? page[page.length - 1].id : null }
  })
}

export async function getMatch(platform: Platform, claims: Claims, matchId: string): Promise<repo.MatchView> {
  return withUserRead(platform, claims, async (tx) => {
    const match = await repo.findMatch(tx, claims.sub, matchId)
    if (!match) throw notFound('Match', { matchId })
    return match
  })
}

/** Ends an active match; unmatching again, or a match that was blocked, changes nothing. */
export async function unmatch(platform: Platform, claims: Claims, matchId: string): Promise<repo.MatchView> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    if (!(await repo.findMatch(tx, claims.sub, matchId))) throw notFound('Match', { matchId })
    await repo.unmatch(tx, matchId)
    return (await repo.findMatch(tx, claims.sub, matchId))!
  })
}
