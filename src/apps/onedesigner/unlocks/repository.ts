// SQL for unlocks. Every function takes the caller's transaction: under withUser, row-level
// security decides which matches, unlocks and designers are visible.
import type { Tx } from '../../../platform'

export type MatchForUnlock = NonNullable<Awaited<ReturnType<typeof findClientMatch>>>
export type UnlockRow = NonNullable<Awaited<ReturnType<typeof findUnlock>>>
export type DesignerContact = NonNullable<Awaited<ReturnType<typeof findDesignerContact>>>

// status is text under a check constraint, which the generated types cannot name.
type MatchNarrowed = { status: 'active' | 'unlocked' | 'expired' }

const UNLOCK_COLUMNS = ['id', 'clientId', 'designerId', 'matchId', 'unlockedVia', 'creditsUsed', 'unlockedAt'] as const
const CONTACT_COLUMNS = [
  'id',
  'firstName',
  'lastName',
  'email',
  'professionalTitle',
  'location',
  'timezone',
  'portfolioUrl',
  'availabilityStatus',
] as const

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

export async function findDesignerContact(tx: Tx, designerId: string) {
  return tx.selectFrom('onedesigner.designers').select(CONTACT_COLUMNS).where('id', '=', designerId).executeTakeFirst()
}

export async function creditBalance(tx: Tx, clientId: string): Promise<number> {
  const row = await tx.selectFrom('onedesigner.clients').select('matchCredits').where('id', '=', clientId).executeTakeFirst()
  return row?.matchCredits ?? 0
}

export interface UnlockWithContact extends UnlockRow {
  designer: DesignerContact | null
}

/** A client's unlocks, newest first, with the designer's contact where the designer is still listed. */
export async function listUnlocks(tx: Tx, clientId: string): Promise<UnlockWithContact[]> {
  const rows = await tx
    .selectFrom('onedesigner.clientDesigners as cd')
    .leftJoin('onedesigner.designers as d', 'd.id', 'cd.designerId')
    .select([
      'cd.id',
      'cd.clientId',
      'cd.designerId',
      'cd.matchId',
      'cd.unlockedVia',
      'cd.creditsUsed',
      'cd.unlockedAt',
      'd.id as dId',
      'd.firstName',
      'd.lastName',
      'd.email',
      'd.professionalTitle',
      'd.location',
      'd.timezone',
      'd.portfolioUrl',
      'd.availabilityStatus',
    ])
    .where('cd.clientId', '=', clientId)
    .orderBy('cd.unlockedAt', 'desc')
    .orderBy('cd.id')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    clientId: r.clientId,
    designerId: r.designerId,
    matchId: r.matchId,
    unlockedVia: r.unlockedVia,
    creditsUsed: r.creditsUsed,
    unlockedAt: r.unlockedAt,
    // A joined designer (dId set) has its NOT NULL columns, which the left join typed nullable.
    designer: r.dId
      ? {
          id: r.dId,
          firstName: r.firstName!,
          lastName: r.lastName!,
          email: r.email!,
          professionalTitle: r.professionalTitle,
          location: r.location,
          timezone: r.timezone,
          portfolioUrl: r.portfolioUrl,
          availabilityStatus: r.availabilityStatus!,
        }
      : null,
  }))
}
