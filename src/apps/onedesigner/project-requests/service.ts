// Project requests: a client who unlocked a designer sends a request about the brief they were
// matched on; the designer has 72 hours to accept or decline. Acceptance releases the client's
// email to the designer (the database fills client_email, see migration 0005).
import { HOUR, type Tx, withUser, type Claims, AppError, conflict, forbidden, notFound, type Platform } from '../../../platform'
import * as repo from './repository'
import { APP } from '../app-name'
import { briefCancelled, refusingCancelledBrief } from '../briefs/cancelled-guard'

const REQUEST_REFUSED = 'no project request can be sent about it'

export const RESPONSE_WINDOW_MS = 72 * HOUR

export type Decision = 'accepted' | 'declined'

const isPastDeadline = (r: repo.ProjectRequestRow, now: Date) => r.responseDeadline.getTime() <= now.getTime()

export async function createRequest(
  platform: Platform,
  claims: Claims,
  input: { matchId: string; message: string },
  requestId?: string,
): Promise<repo.ProjectRequestRow> {
  const clientId = claims.sub
  const now = platform.clock.now()
  return refusingCancelledBrief(REQUEST_REFUSED, input.matchId, () =>
    withUser(platform.db.kysely, claims, async (tx) => {
      const match = await repo.findMatch(tx, clientId, input.matchId)
      if (!match) throw notFound('Match', { matchId: input.matchId })
      if (match.briefStatus === 'cancelled') throw briefCancelled(REQUEST_REFUSED, input.matchId)
      if (!(await repo.isUnlocked(tx, clientId, match.designerId)))
        throw forbidden('Unlock this designer (POST /matches/:id/unlock) before sending a project request')
      // The brief can be hidden by row-level security or gone, though the match names it.
      const snapshot = await repo.briefSnapshot(tx, match.briefId)
      if (!snapshot) throw notFound('Brief of this match', { matchId: input.matchId })

      const created = await repo.insertPending(tx, {
        matchId: match.id,
        clientId,
        designerId: match.designerId,
        message: input.message,
        briefSnapshot: snapshot,
        responseDeadline: new Date(now.getTime() + RESPONSE_WINDOW_MS),
        now,
      })
      if (!created)
        throw conflict('You already have a pending project request with this designer; wait for their answer or its expiry', {
          pendingRequestId: await repo.findPendingId(tx, clientId, match.designerId),
        })

      await platform.notify.notify(tx, {
        app: APP,
        userId: created.designerId,
        type: 'project_request.received',
        title: 'New project request',
        body: `A client sent you a project request${titleOf(snapshot)}. Answer within 72 hours.`,
        data: { requestId: created.id, responseDeadline: created.responseDeadline.toISOString() },
      })
      await platform.audit.record(tx, {
        app: APP,
        actorId: clientId,
        actorRole: claims.role,
        action: 'project_request.sent',
        subjectType: 'project_request',
        subjectId: created.id,
        data: { designerId: created.designerId, matchId: created.matchId },
        requestId,
      })
      return created
    }),
  )
}

export async function listRequests(
  platform: Platform,
  claims: Claims,
  filter: { status?: repo.RequestStatus; limit: number; offset: number },
): Promise<repo.ProjectRequestRow[]> {
  const party = claims.role === 'designer' ? 'designerId' : 'clientId'
  return withUser(platform.db.kysely, claims, (tx) => repo.list(tx, { party, userId: claims.sub, ...filter }))
}

/** Reads one request; the designer's first read records viewed_at and tells the client. */
export async function getRequest(platform: Platform, claims: Claims, id: string): Promise<repo.ProjectRequestRow> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const found = await repo.find(tx, id)
    if (!found) throw notFound('Project request', { id })
    if (claims.role !== 'designer' || found.designerId !== claims.sub || found.viewedAt) return found
    const viewed = await repo.markViewed(tx, id, claims.sub, platform.clock.now())
    if (!viewed) return (await repo.find(tx, id))!
    await platform.notify.notify(tx, {
      app: APP,
      userId: viewed.clientId,
      type: 'project_request.viewed',
      title: 'Your project request was viewed',
      body: `The designer opened your project request${titleOf(viewed.briefSnapshot)}.`,
      data: { requestId: viewed.id, designerId: viewed.designerId },
    })
    return viewed
  })
}

/**
 * The designer accepts or declines while the request is pending and the 72 hours have not run
 * out. A late answer expires the request (committed, both sides told) and is refused with 410.
 */
export async function respondToRequest(
  platform: Platform,
  claims: Claims,
  id: string,
  decision: Decision,
  message: string | undefined,
  requestId?: string,
): Promise<repo.ProjectRequestRow> {
  const now = platform.clock.now()
  const outcome = await withUser(platform.db.kysely, claims, async (tx): Promise<{ row: repo.ProjectRequestRow; expired: boolean }> => {
    // The row lock orders this answer against the expiry job and a second answer.
    const current = await repo.find(tx, id, { forUpdate: true })
    if (!current || current.designerId !== claims.sub) throw notFound('Project request', { id })
    if (current.status === 'expired') throw goneError(current)
    if (current.status !== 'pending') throw conflict(`This project request was already ${current.status}`, { status: current.status })
    if (isPastDeadline(current, now)) {
      const expired = await repo.expireOne(tx, id)
      if (expired) await notifyExpired(platform, tx, expired)
      return { row: expired ?? current, expired: true }
    }
    const answered = await repo.respond(tx, id, { status: decision, message: message ?? null, at: now })
    if (!answered) throw conflict('This project request is no longer pending')
    await platform.notify.notify(tx, {
      app: APP,
      userId: answered.clientId,
      type: `project_request.${decision}`,
      title: decision === 'accepted' ? 'Your project request was accepted' : 'Your project request was declined',
      body: answered.responseMessage ?? undefined,
      data: { requestId: answered.id, designerId: answered.designerId },
    })
    await platform.audit.record(tx, {
      app: APP,
      actorId: claims.sub,
      actorRole: claims.role,
      action: `project_request.${decision}`,
      subjectType: 'project_request',
      subjectId: answered.id,
      data: { clientId: answered.clientId },
      requestId,
    })
    return { row: answered, expired: false }
  })
  if (outcome.expired) throw goneError(outcome.row)
  return outcome.row
}

function goneError(r: repo.ProjectRequestRow) {
  return new AppError('gone', 'This project request expired: the 72-hour window to answer has closed', {
    status: 'expired',
    responseDeadline: r.responseDeadline.toISOString(),
  })
}

/** Tells both sides that a request ran out unanswered. */
export async function notifyExpired(platform: Platform, tx: Tx, r: repo.ProjectRequestRow): Promise<void> {
  const data = { requestId: r.id, clientId: r.clientId, designerId: r.designerId }
  await platform.notify.notify(tx, {
    app: APP,
    userId: r.clientId,
    type: 'project_request.expired',
    title: 'Your project request expired',
    body: 'The designer did not answer within 72 hours. You can send a new request or choose another match.',
    data,
  })
  await platform.notify.notify(tx, {
    app: APP,
    userId: r.designerId,
    type: 'project_request.expired',
    title: 'A project request expired',
    body: 'You did not answer a project request within 72 hours, so it has expired.',
    data,
  })
}

function titleOf(snapshot: Record<string, unknown>): string {
  const title = snapshot.projectTitle
  return typeof title === 'string' && title ? ` for "${title}"` : ''
}
