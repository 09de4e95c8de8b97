// The approval workflow: admins list designers by review state, approve and reject. Admin
// requests run under row-level security with the admin's claims (policy designers_admin_all);
// the guard_designer_approval trigger refuses these changes from anyone else.
import { type Platform, withUser, type Claims, type Tx, notFound, unprocessable } from '../../../platform'
import { refreshDesignerEmbedding } from '../matching/embeddings'
import { findDesigner, listByReviewStatus, updateDesigner, type ReviewStatus } from '../designers/repository'
import { toOwnProfile } from '../designers/service'
import type { OwnProfile } from '../designers/profile-schema'
import { APP } from '../app-name'

export interface ReviewOutcome {
  designer: OwnProfile
  /** Whether the designer's embedding was recomputed; approval stands either way. */
  embeddingRefreshed: boolean
}

export function adminService(platform: Platform) {
  const db = platform.db.kysely

  async function audit(tx: Tx, claims: Claims, action: string, designerId: string, data: Record<string, unknown>, requestId?: string) {
    await platform.audit.record(tx, {
      app: APP,
      actorId: claims.sub,
      actorRole: claims.role,
      action,
      subjectType: 'designer',
      subjectId: designerId,
      data,
      requestId,
    })
  }

  return {
    // Sensitive reads (designers' emails and review state) are audited like the decisions.
    async list(claims: Claims, status: ReviewStatus, page: { limit: number; offset: number }, requestId?: string) {
      const { rows, total } = await withUser(db, claims, async (tx) => {
        const found = await listByReviewStatus(tx, status, page)
        await platform.audit.record(tx, {
          app: APP,
          actorId: claims.sub,
          actorRole: claims.role,
          action: 'designers.list',
          subjectType: 'designer',
          data: { status, ...page, designerIds: found.rows.map((r) => r.id) },
          requestId,
        })
        return found
      })
      return { designers: rows.map(toOwnProfile), total, limit: page.limit, offset: page.offset }
    },

    async get(claims: Claims, id: string, requestId?: string): Promise<OwnProfile> {
      const row = await withUser(db, claims, async (tx) => {
        const found = await findDesigner(tx, id)
        if (found) await audit(tx, claims, 'designer.read', id, {}, requestId)
        return found
      })
      if (!row) throw notFound('Designer')
      return toOwnProfile(row)
    },

    async approve(claims: Claims, id: string, requestId?: string): Promise<ReviewOutcome> {
      const row = await withUser(db, claims, async (tx) => {
        const before = await findDesigner(tx, id)
        if (!before) throw notFound('Designer')
        // Matching filters by category: a designer without one could never be matched.
        if (!before.categories.length)
          throw unprocessable('The profile has no design category yet; it cannot be approved', { field: 'categories' })
        const after = await updateDesigner(tx, id, {
          isApproved: true,
          lastApprovedAt: platform.clock.now(),
          rejectionReason: null,
          editedAfterApproval: false,
        })
        await audit(
          tx,
          claims,
          'designer.approve',
          id,
          {
            wasApproved: before.isApproved,
            wasEditedAfterApproval: before.editedAfterApproval,
          },
          requestId,
        )
        return after!
      })
      // Outside the approval transaction: a failing embedder must not undo the approval. The
      // embedding stays missing or stale and the embedding refresh job picks it up later.
      let embeddingRefreshed = false
      try {
        await refreshDesignerEmbedding(platform, id)
        embeddingRefreshed = true
      } catch (err) {
        platform.log.warn({ err, designerId: id }, 'designer approved but its embedding could not be computed')
      }
      return { designer: toOwnProfile(row), embeddingRefreshed }
    },

    async reject(claims: Claims, id: string, reason: string, requestId?: string): Promise<OwnProfile> {
      const row = await withUser(db, claims, async (tx) => {
        const before = await findDesigner(tx, id)
        if (!before) throw notFound('Designer')
        const after = await updateDesigner(tx, id, { isApproved: false, rejectionReason: reason, editedAfterApproval: false })
        await audit(tx, claims, 'designer.reject', id, { reason, wasApproved: before.isApproved }, requestId)
        return after!
      })
      return toOwnProfile(row)
    },
  }
}
