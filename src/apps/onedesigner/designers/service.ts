// A designer's own profile and statistics, and approved profiles for clients. Everything runs
// under row-level security as the caller; the database's triggers track edits after approval
// and mark the embedding stale, so this layer only validates and writes.
import { type Platform, type Claims, withUser, withUserRead, notFound } from '../../../platform'
import { findDesigner, findMyStats, updateDesigner, type DesignerRow } from './repository'
import { PUT_DEFAULTS, type DesignerStats, type OwnProfile, type ProfilePatch, type ProfilePut, type PublicProfile } from './profile-schema'
import { designerViews, type DesignerView } from './visibility'

function iso(d: Date): string
function iso(d: Date | null): string | null
function iso(d: Date | null) {
  return d ? new Date(d).toISOString() : null
}
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : [])

export function designerStatus(row: Pick<DesignerRow, 'isApproved' | 'rejectionReason'>): OwnProfile['status'] {
  if (row.isApproved) return 'approved'
  return row.rejectionReason ? 'rejected' : 'pending'
}

export function toPublicProfile(row: DesignerRow): PublicProfile {
  return {
    id: row.id,
    firstName: row.firstName,
    lastName: row.lastName,
    professionalTitle: row.professionalTitle,
    bio: row.bio,
    location: row.location,
    avatarUrl: row.avatarUrl,
    yearsExperience: row.yearsExperience,
    categories: row.categories,
    industriesWorked: row.industriesWorked,
    designStyles: row.designStyles,
    tools: row.tools,
    skills: row.skills,
    portfolioUrl: row.portfolioUrl,
    portfolioImages: list<string>(row.portfolioImages),
    caseStudies: list<Record<string, unknown>>(row.caseStudies),
    rateRange: row.rateRange,
    availabilityStatus: row.availabilityStatus,
    workingHours: row.workingHours,
    timezone: row.timezone,
    isVerified: row.isVerified,
  }
}

export function toOwnProfile(row: DesignerRow): OwnProfile {
  return {
    ...toPublicProfile(row),
    email: row.email,
    status: designerStatus(row),
    isApproved: row.isApproved,
    editedAfterApproval: row.editedAfterApproval,
    lastApprovedAt: iso(row.lastApprovedAt),
    rejectionReason: row.rejectionReason,
    previousRejectionReason: row.previousRejectionReason ?? null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  }
}

export function designerService(platform: Platform) {
  const db = platform.db.kysely
  return {
    async getOwn(claims: Claims): Promise<OwnProfile> {
      const row = await withUser(db, claims, (tx) => findDesigner(tx, claims.sub))
      if (!row) throw notFound('Designer profile')
      return toOwnProfile(row)
    },

    async patchOwn(claims: Claims, patch: ProfilePatch): Promise<OwnProfile> {
      const row = await withUser(db, claims, (tx) => updateDesigner(tx, claims.sub, patch))
      if (!row) throw notFound('Designer profile')
      return toOwnProfile(row)
    },

    async replaceOwn(claims: Claims, profile: ProfilePut): Promise<OwnProfile> {
      const row = await withUser(db, claims, (tx) => updateDesigner(tx, claims.sub, { ...PUT_DEFAULTS, ...profile }))
      if (!row) throw notFound('Designer profile')
      return toOwnProfile(row)
    },

    async stats(claims: Claims): Promise<DesignerStats> {
      return withUser(db, claims, async (tx) => {
        const row = await findMyStats(tx)
        if (row)
          return {
            designerId: row.designerId,
            computed: true,
            totalMatches: Number(row.totalMatches),
            avgMatchScore: Math.round(Number(row.avgMatchScore) * 10) / 10,
            pendingRequests: Number(row.pendingRequests),
            acceptedRequests: Number(row.acceptedRequests),
            priorityScore: Number(row.priorityScore),
          }
        // Not yet in the hourly snapshot: a new designer has no figures yet.
        const me = await findDesigner(tx, claims.sub)
        if (!me) throw notFound('Designer profile')
        return {
          designerId: me.id,
          computed: false,
          totalMatches: 0,
          avgMatchScore: 0,
          pendingRequests: 0,
          acceptedRequests: 0,
          priorityScore: me.isApproved ? (me.isVerified ? 100 : 80) : me.isVerified ? 60 : 40,
        }
      })
    },

    /** Clients only ever see approved designers (RLS and the query); what of them: the unlock rule (visibility.ts). */
    async getPublic(claims: Claims, id: string): Promise<DesignerView> {
      const view = await withUserRead(platform, claims, async (tx) => (await designerViews(tx, claims, [id])).get(id))
      if (!view) throw notFound('Designer')
      return view
    },
  }
}
