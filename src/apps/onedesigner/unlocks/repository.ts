// SQL for unlocks. Every function takes the caller's transaction: under withUser, row-level
// security decides which matches, unlocks and designers are visible.
import type { Tx } from '../../../platform'

export type MatchForUnlock = NonNullable<Awaited<ReturnType<typeof findClientMatch>>>
export type UnlockRow = NonNullable<Awaited<ReturnType<typeof findUnlock>>>

// status is text under a check constraint, which the generated types cannot name.
type MatchNarrowed = { status: 'active' | 'unlocked' | 'expired' }

const UNLOCK_COLUMNS = ['id', 'clientId', 'designerId', 'matchId', 'unlockedVia', 'creditsUsed', 'unlockedAt'] as const

export async function findClientMatch(tx: Tx, clientId: string, matchId: string) {
  return tx
    .selectFrom('onedesigner.matches as m')
    .innerJoin('onedesigner.briefs as b', 'b.id', 'm.briefId')
    .select(['m.id', 'm.clientId', 'm.designerId', 'm.status', 'm.expiresAt', 'b.status as briefStatus'])
    .$narrowType<MatchNarrowed>()
    .where('m.id', '=', matchId)
    .where('m.clientId', '=', clientId)
    .executeTakeFirst()
}

/** Inserts the unlock unless this client already unlocked this designer; undefined then. */
export async function insertUnlock(
  tx: Tx,
  u: { clientId: string; designerId: string; matchId: string; unlockedAt: Date },
): Promise<UnlockRow | undefined> {
  return tx
    .insertInto('onedesigner.clientDesigners')
    .values({
      clientId: u.clientId,
      designerId: u.designerId,
      matchId: u.matchId,
      unlockedVia: 'credit',
      creditsUsed: 1,
      unlockedAt: u.unlockedAt,
      createdAt: u.unlockedAt,
    })
    .onConflict((oc) => oc.columns(['clientId', 'designerId']).doNothing())
    .returning(UNLOCK_COLUMNS)
    .executeTakeFirst()
}

export async function findUnlock(tx: Tx, clientId: string, designerId: string) {
  return tx
    .selectFrom('onedesigner.clientDesigners')
    .select(UNLOCK_COLUMNS)
    .where('clientId', '=', clientId)
    .where('designerId', '=', designerId)
    .executeTakeFirst()
}

/** Marks a still-active match unlocked; an unlocked or expired match keeps its state. */
export async function markMatchUnlocked(tx: Tx, matchId: string, at: Date): Promise<void> {
  await tx
    .updateTable('onedesigner.matches')
    .set({ status: 'unlocked', unlockedAt: at })
    .where('id', '=', matchId)
    .where('status', '=', 'active')
    .execute()
}

export async function creditBalance(tx: Tx, clientId: string): Promise<number> {
  const row = await tx.selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', clientId).executeTakeFirst()
  return row?.matchCredits ?? 0
}

/** A client's unlocks, newest first; the designer comes from designers/visibility.ts. */
export async function listUnlocks(tx: Tx, clientId: string): Promise<UnlockRow[]> {
  return tx
    .selectFrom('onedesigner.clientDesigners')
    .select(UNLOCK_COLUMNS)
    .where('clientId', '=', clientId)
    .orderBy('unlockedAt', 'desc')
    .orderBy('id')
    .execute()
}
