// Swipes (like, pass, super like), blocks, and "who liked you". One transaction under the
// caller's row-level security per request: a like that makes a match writes the like, the match,
// its conversation and both notifications together, or none of them.
import { withUser, withUserRead, type Claims, AppError, notFound, type Platform, type Tx } from '../../../platform'
import { cheapestPlanWhere, PLAN_FEATURES, planOf } from '../plans'
import { pairCompatibility, type Compatibility } from '../discovery/compatibility'
import * as matches from '../matches/repository'
import * as repo from './repository'
import { APP } from '../app-name'

export interface InteractionInput {
  toUserId: string
  type: repo.InteractionType
  context: repo.InteractionContext
}

export interface MatchOutcome {
  id: string
  conversationId: string
  score: number | null
  /** true when this like made the match. */
  created: boolean
}

export interface InteractionResult {
  /** false when the same interaction already existed and nothing changed. */
  created: boolean
  interaction: repo.InteractionRow
  match: MatchOutcome | null
}

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
// Whether a block exists is nobody's business but the blocker's: the answer is the one for a
// musician who does not exist.
const noSuchMusician = (toUserId: string) => notFound('Musician', { toUserId })

export async function interact(platform: Platform, claims: Claims, input: InteractionInput): Promise<InteractionResult> {
  const me = claims.sub
  const to = input.toUserId.toLowerCase()
  if (to === me)
    throw new AppError('unprocessable', 'body.toUserId: you cannot like, pass, super like or block yourself', { field: 'body.toUserId' })
  const now = platform.clock.now()
  return withUser(platform.db.kysely, claims, async (tx) => {
    if (input.type === 'super_like') await repo.lockSuperLikes(tx, me)
    const target = await repo.lockSwipe(tx, me, to)
    if (!target.callerActive) throw new AppError('forbidden', 'This account was deleted')
    if (!target.visible) throw noSuchMusician(to)
    if (input.type === 'block') return block(tx, me, to, input, now)
    const isLike = input.type === 'like' || input.type === 'super_like'
    if (isLike && target.blocked) throw noSuchMusician(to)
    // Scored before the swipe is written: the insert locks the caller's activity row (a trigger
    // counts the swipe) until commit, and this keeps that span short.
    const compat = isLike ? await pairCompatibility(tx, me, to, now) : undefined

    // A super like is looked up first so that repeating one spends nothing; other swipes just
    // insert, and an existing one makes the insert a no-op.
    const existing = input.type === 'super_like' ? await repo.findInteraction(tx, me, to, 'super_like') : undefined
    let inserted: repo.InteractionRow | undefined
    if (!existing) {
      if (input.type === 'super_like') await spendSuperLike(tx, me, to, now)
      await repo.deleteOtherSwipes(tx, me, to, input.type)
      inserted = await repo.insertInteraction(tx, {
        fromUserId: me,
        toUserId: to,
        type: input.type,
        context: input.context,
        createdAt: now,
      })
    }
    const interaction = existing ?? inserted ?? (await repo.findInteraction(tx, me, to, input.type))!
    const match = compat ? await matchIfMutual(platform, tx, me, to, compat) : null
    return { created: !!inserted, interaction, match }
  })
}

async function block(tx: Tx, me: string, to: string, input: InteractionInput, now: Date): Promise<InteractionResult> {
  await repo.deleteOtherSwipes(tx, me, to)
  const inserted = await repo.insertInteraction(tx, { fromUserId: me, toUserId: to, type: 'block', context: input.context, createdAt: now })
  await repo.blockActiveMatch(tx, me, to)
  const interaction = inserted ?? (await repo.findInteraction(tx, me, to, 'block'))!
  return { created: !!inserted, interaction, match: null }
}

/** Counts today's super likes under the caller's lock, so concurrent ones cannot overshoot the plan. */
async function spendSuperLike(tx: Tx, me: string, to: string, now: Date) {
  const plan = await planOf(tx, me, now)
  const limit = PLAN_FEATURES[plan].superLikesPerDay
  if (limit !== null && (await repo.superLikesSince(tx, me, startOfUtcDay(now))) >= limit) {
    const upgradeTo = cheapestPlanWhere((f) => f.superLikesPerDay === null || f.superLikesPerDay > limit) ?? null
    throw new AppError(
      'rate_limited',
      `Your ${plan} plan includes ${limit} super like${limit === 1 ? '' : 's'} per day (UTC); ` +
        (upgradeTo ? `${upgradeTo} gives more, or try again tomorrow` : 'try again tomorrow'),
      { limit, plan, upgradeTo },
    )
  }
  await repo.recordSuperLike(tx, me, to, now)
}

async function matchIfMutual(platform: Platform, tx: Tx, me: string, other: string, compat: Compatibility): Promise<MatchOutcome | null> {
  // The caller cannot see whether the other liked them (plain likes are hidden from free plans),
  // so the score is computed before asking; bandsy.create_mutual_match decides under the pair lock.
  const made = await matches.createMutualMatch(tx, other, compat.score, compat.factors)
  if (!made) return null
  const { conversationId, score } = (await matches.matchSummary(tx, made.matchId))!
  if (made.created)
    for (const userId of [me, other])
      await platform.notify.notify(tx, {
        app: APP,
        userId,
        type: 'match.created',
        title: "It's a match: you liked each other",
        data: { matchId: made.matchId, conversationId },
      })
  return { id: made.matchId, conversationId, score, created: made.created }
}

/** Undoes a pass or a block; a match a block ended stays ended. */
export async function undo(platform: Platform, claims: Claims, toUserId: string, type: 'pass' | 'block'): Promise<repo.InteractionRow> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    await repo.lockSwipe(tx, claims.sub, toUserId.toLowerCase())
    const removed = await repo.deleteInteraction(tx, claims.sub, toUserId.toLowerCase(), type)
    if (!removed) throw notFound(type === 'pass' ? 'Pass' : 'Block', { toUserId, type })
    return removed
  })
}

export interface ReceivedLikesPage {
  likes: repo.ReceivedLike[]
  nextCursor: string | null
  /** Whether plain likes are listed: premium and pro see them, every plan sees super likes. */
  includesPlainLikes: boolean
}

export async function receivedLikes(
  platform: Platform,
  claims: Claims,
  q: { type: 'all' | 'like' | 'super_like'; limit: number; cursor?: string },
): Promise<ReceivedLikesPage> {
  return withUserRead(platform, claims, async (tx) => {
    const plan = await planOf(tx, claims.sub, platform.clock.now())
    const seesPlain = PLAN_FEATURES[plan].seeWhoLikedYou
    if (q.type === 'like' && !seesPlain) {
      const upgradeTo = cheapestPlanWhere((f) => f.seeWhoLikedYou) ?? null
      throw new AppError('payment_required', `Seeing who liked you needs the ${upgradeTo} plan; super likes are listed on every plan`, {
        plan,
        upgradeTo,
      })
    }
    const types: ('like' | 'super_like')[] = q.type === 'all' ? (seesPlain ? ['like', 'super_like'] : ['super_like']) : [q.type]
    const after = q.cursor ? await repo.receivedLikeKey(tx, claims.sub, q.cursor) : undefined
    if (q.cursor && !after)
      throw new AppError('validation_failed', 'query.cursor: not a like you received; use the nextCursor of a previous page', {
        field: 'query.cursor',
      })
    const rows = await repo.receivedLikes(tx, { meId: claims.sub, types, limit: q.limit + 1, after })
    const page = rows.slice(0, q.limit)
    return { likes: page, nextCursor: rows.length > q.limit ? page[page.length - 1].id : null, includesPlainLikes: types.includes('like') }
  })
}
