// Unlocking a matched designer: one credit buys a client a designer's contact, once.
// Everything happens in one transaction under the client's row-level security, so a failed
// spend leaves neither an unlock row nor a changed match behind.
import { withUser, type Claims, AppError, notFound, type Platform } from '../../../platform'
import { designerViews, type DesignerView } from '../designers/visibility'
import * as repo from './repository'
import { APP } from '../app-name'
import { briefCancelled, refusingCancelledBrief } from '../briefs/cancelled-guard'

const UNLOCK_REFUSED = 'its designers can no longer be unlocked'

export const UNLOCK_COST = 1

export interface UnlockWithDesigner extends repo.UnlockRow {
  /** As the client sees them now (designers/visibility.ts); null when no longer listed. */
  designer: DesignerView | null
}

export interface UnlockResult {
  /** false when the designer was already unlocked and nothing was spent. */
  created: boolean
  unlock: UnlockWithDesigner
  balance: number
}

function isExpired(match: repo.MatchForUnlock, now: Date): boolean {
  if (match.status === 'expired') return true
  // An unlocked match stays unlocked; only an active one can run out.
  return match.status === 'active' && match.expiresAt !== null && match.expiresAt.getTime() <= now.getTime()
}

export async function unlockMatch(platform: Platform, claims: Claims, matchId: string, requestId?: string): Promise<UnlockResult> {
  const clientId = claims.sub
  const now = platform.clock.now()
  // The trigger's refusal (a cancel that won a race) reads as the same 409.
  return refusingCancelledBrief(UNLOCK_REFUSED, matchId, () => unlockIn(platform, claims, matchId, now, requestId))
}

function unlockIn(platform: Platform, claims: Claims, matchId: string, now: Date, requestId?: string): Promise<UnlockResult> {
  const clientId = claims.sub
  return withUser(platform.db.kysely, claims, async (tx) => {
    const match = await repo.findClientMatch(tx, clientId, matchId)
    if (!match) throw notFound('Match', { matchId })

    const already = async (): Promise<UnlockResult | undefined> => {
      const existing = await repo.findUnlock(tx, clientId, match.designerId)
      if (!existing) return undefined
      return {
        created: false,
        unlock: { ...existing, designer: (await designerViews(tx, claims, [match.designerId])).get(match.designerId) ?? null },
        balance: await repo.creditBalance(tx, clientId),
      }
    }

    if (match.briefStatus === 'cancelled') {
      // As for an expired match: a designer already unlocked stays unlocked, nothing new is sold.
      const existing = await already()
      if (existing) return existing
      throw briefCancelled(UNLOCK_REFUSED, matchId)
    }

    if (isExpired(match, now)) {
      // A designer already unlocked through another match stays unlocked; nothing new is sold.
      const existing = await already()
      if (existing) return existing
      throw new AppError('gone', 'This match has expired; run matching again to get fresh matches', {
        matchId,
        expiresAt: match.expiresAt,
      })
    }

    // Clients only see approved designers: one who is no longer listed cannot be bought.
    const listed = (await designerViews(tx, claims, [match.designerId])).has(match.designerId)
    const inserted = await repo.insertUnlock(tx, { clientId, designerId: match.designerId, matchId, unlockedAt: now })
    if (!inserted) {
      await repo.markMatchUnlocked(tx, matchId, now)
      return (await already())!
    }
    if (!listed) throw new AppError('conflict', 'This designer is no longer available', { designerId: match.designerId })

    let balance: number
    try {
      balance = await platform.ledger.move(tx, {
        table: 'onedesigner.clients',
        column: 'match_credits',
        accountId: clientId,
        delta: -UNLOCK_COST,
        reason: 'unlock',
        reference: `designer:${match.designerId}`,
      })
    } catch (err) {
      if (err instanceof AppError && err.code === 'insufficient_credits')
        throw new AppError(
          'insufficient_credits',
          `Unlocking a designer costs ${UNLOCK_COST} credit and you have none left; buy credits to unlock this designer`,
          { needed: UNLOCK_COST, balance: await repo.creditBalance(tx, clientId) },
        )
      throw err
    }
    await repo.markMatchUnlocked(tx, matchId, now)
    await platform.audit.record(tx, {
      app: APP,
      actorId: clientId,
      actorRole: claims.role,
      action: 'designer.unlocked',
      subjectType: 'designer',
      subjectId: match.designerId,
      data: { matchId, unlockId: inserted.id, creditsUsed: UNLOCK_COST, balanceAfter: balance },
      requestId,
    })
    // Read after the insert: the view now shows what the unlock bought.
    const designer = (await designerViews(tx, claims, [match.designerId])).get(match.designerId) ?? null
    return { created: true, unlock: { ...inserted, designer }, balance }
  })
}

export async function listUnlocks(platform: Platform, claims: Claims): Promise<UnlockWithDesigner[]> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const rows = await repo.listUnlocks(tx, claims.sub)
    const views = await designerViews(
      tx,
      claims,
      rows.map((r) => r.designerId),
    )
    return rows.map((r) => ({ ...r, designer: views.get(r.designerId) ?? null }))
  })
}
