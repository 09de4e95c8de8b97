// SQL for project requests. Functions take the caller's transaction; under withUser, row-level
// security limits a client to the requests they sent and a designer to those they received.
import type { Executor, Tx, JsonObject } from '../../../platform'
import { BRIEF_CONTENT_COLUMNS } from '../briefs/repository'

export type RequestStatus = 'pending' | 'accepted' | 'declined' | 'expired'

export type ProjectRequestRow = NonNullable<Awaited<ReturnType<typeof find>>>
// status is text under a check constraint and brief_snapshot is jsonb that only ever holds an
// object; the generated types can name neither.
type Narrowed = { status: RequestStatus; briefSnapshot: JsonObject }

const COLUMNS = [
  'id',
  'matchId',
  'clientId',
  'designerId',
  'message',
  'clientEmail',
  'briefSnapshot',
  'status',
  'responseDeadline',
  'viewedAt',
  'respondedAt',
  'responseMessage',
  'createdAt',
  'updatedAt',
] as const

const TABLE = 'onedesigner.projectRequests'

export async function findMatch(tx: Tx, clientId: string, matchId: string) {
  return tx
    .selectFrom('onedesigner.matches as m')
    .leftJoin('onedesigner.briefs as b', 'b.id', 'm.briefId')
    .select(['m.id', 'm.designerId', 'm.briefId', 'b.status as briefStatus'])
    .where('m.id', '=', matchId)
    .where('m.clientId', '=', clientId)
    .executeTakeFirst()
}

export async function isUnlocked(tx: Tx, clientId: string, designerId: string): Promise<boolean> {
  const row = await tx
    .selectFrom('onedesigner.clientDesigners')
    .select('id')
    .where('clientId', '=', clientId)
    .where('designerId', '=', designerId)
    .executeTakeFirst()
  return !!row
}

/** The brief as it reads now, so later edits do not change what the designer was sent. */
export async function briefSnapshot(tx: Tx, briefId: string): Promise<Record<string, unknown> | undefined> {
  return tx.selectFrom('onedesigner.briefs').select(BRIEF_CONTENT_COLUMNS).where('id', '=', briefId).executeTakeFirst()
}

/** Inserts a pending request; undefined when one is already pending for this client and designer. */
export async function insertPending(
  tx: Tx,
  r: { matchId: string; clientId: string; designerId: string; message: string; briefSnapshot: unknown; responseDeadline: Date; now: Date },
): Promise<ProjectRequestRow | undefined> {
  return (
    tx
      .insertInto(TABLE)
      .values({
        matchId: r.matchId,
        clientId: r.clientId,
        designerId: r.designerId,
        message: r.message,
        briefSnapshot: JSON.stringify(r.briefSnapshot),
        status: 'pending',
        responseDeadline: r.responseDeadline,
        createdAt: r.now,
        updatedAt: r.now,
      })
      // The partial unique index uq_project_requests_pending arbitrates concurrent sends.
      .onConflict((oc) => oc.columns(['clientId', 'designerId']).where('status', '=', 'pending').doNothing())
      .returning(COLUMNS)
      .$narrowType<Narrowed>()
      .executeTakeFirst()
  )
}

export async function findPendingId(tx: Tx, clientId: string, designerId: string): Promise<string | undefined> {
  const row = await tx
    .selectFrom(TABLE)
    .select('id')
    .where('clientId', '=', clientId)
    .where('designerId', '=', designerId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return row?.id
}

export async function list(
  tx: Tx,
  f: { party: 'clientId' | 'designerId'; userId: string; status?: RequestStatus; limit: number; offset: number },
): Promise<ProjectRequestRow[]> {
  let q = tx.selectFrom(TABLE).select(COLUMNS).$narrowType<Narrowed>().where(f.party, '=', f.userId)
  if (f.status) q = q.where('status', '=', f.status)
  return q.orderBy('createdAt', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute()
}

export async function find(tx: Tx, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = tx.selectFrom(TABLE).select(COLUMNS).$narrowType<Narrowed>().where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

/** Sets viewed_at unless it is already set; returns the row only when this call set it. */
export async function markViewed(tx: Tx, id: string, designerId: string, at: Date): Promise<ProjectRequestRow | undefined> {
  return tx
    .updateTable(TABLE)
    .set({ viewedAt: at })
    .where('id', '=', id)
    .where('designerId', '=', designerId)
    .where('viewedAt', 'is', null)
    .returning(COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

/** Records the designer's answer on a still-pending request. */
export async function respond(
  tx: Tx,
  id: string,
  r: { status: 'accepted' | 'declined'; message: string | null; at: Date },
): Promise<ProjectRequestRow | undefined> {
  return tx
    .updateTable(TABLE)
    .set({ status: r.status, respondedAt: r.at, responseMessage: r.message })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning(COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

export async function expireOne(tx: Tx, id: string): Promise<ProjectRequestRow | undefined> {
  return tx
    .updateTable(TABLE)
    .set({ status: 'expired' })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning(COLUMNS)
    .$narrowType<Narrowed>()
    .executeTakeFirst()
}

/** Expires every pending request whose deadline passed before asOf (system work, owner role). */
export async function expireDue(db: Executor, asOf: Date): Promise<ProjectRequestRow[]> {
  return db
    .updateTable(TABLE)
    .set({ status: 'expired' })
    .where('status', '=', 'pending')
    .where('responseDeadline', '<=', asOf)
    .returning(COLUMNS)
    .$narrowType<Narrowed>()
    .execute()
}
