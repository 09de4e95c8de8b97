// What a client sees of a designer, before and after unlocking them: one rule, applied by one
// function (designerViews) in every route that returns a designer to a client — the profile
// (GET /designers/:id), matches (POST and GET /briefs/:id/matches, GET /matches/:id) and unlocks
// (POST /matches/:id/unlock, GET /unlocks). Stated in docs/apps/onedesigner.md.
//
// Before an unlock a client sees the professional profile needed to choose: first name, title,
// bio, photo, experience, categories, industries, styles, tools, skills, rate, availability,
// working hours, time zone, verification. What identifies or reaches the designer outside the
// platform — last name, email, location, portfolio links, portfolio images and case studies —
// comes with the unlock (the credit buys it). Admins see everything.
import { z } from 'zod'
import type { Claims, Executor } from '../../../platform'
import { DESIGNER_COLUMNS, type DesignerRow } from './repository'

/** Hidden until the client unlocks the designer; null before. */
export const UNLOCKED_ONLY = ['lastName', 'email', 'location', 'portfolioUrl', 'portfolioImages', 'caseStudies'] as const

export const designerViewSchema = z
  .object({
    id: z.uuid(),
    unlocked: z.boolean().describe('Whether you unlocked this designer; the fields marked "after unlock" are null until you do'),
    firstName: z.string(),
    professionalTitle: z.string().nullable(),
    bio: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    yearsExperience: z.string().nullable(),
    categories: z.array(z.string()),
    industriesWorked: z.array(z.string()),
    designStyles: z.array(z.string()),
    tools: z.array(z.string()),
    skills: z.array(z.string()),
    rateRange: z.string().nullable(),
    availabilityStatus: z.string(),
    workingHours: z.string().nullable(),
    timezone: z.string().nullable(),
    isVerified: z.boolean(),
    lastName: z.string().nullable().describe('After unlock'),
    email: z.string().nullable().describe('After unlock'),
    location: z.string().nullable().describe('After unlock'),
    portfolioUrl: z.string().nullable().describe('After unlock'),
    portfolioImages: z.array(z.string()).nullable().describe('After unlock'),
    caseStudies: z.array(z.record(z.string(), z.unknown())).nullable().describe('After unlock'),
  })
  .meta({
    id: 'DesignerView',
    description:
      'An approved designer as a client sees them: the professional profile always; last name, email, location, portfolio ' +
      'links, images and case studies only after the client unlocked the designer (null before). The same in every route.',
  })

export type DesignerView = z.infer<typeof designerViewSchema>

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : [])

/** The rule itself: a designer row as seen by a client who has, or has not, unlocked them. */
export function designerAsSeen(row: DesignerRow, unlocked: boolean): DesignerView {
  return {
    id: row.id,
    unlocked,
    firstName: row.firstName,
    professionalTitle: row.professionalTitle,
    bio: row.bio,
    avatarUrl: row.avatarUrl,
    yearsExperience: row.yearsExperience,
    categories: row.categories,
    industriesWorked: row.industriesWorked,
    designStyles: row.designStyles,
    tools: row.tools,
    skills: row.skills,
    rateRange: row.rateRange,
    availabilityStatus: row.availabilityStatus,
    workingHours: row.workingHours,
    timezone: row.timezone,
    isVerified: row.isVerified,
    lastName: unlocked ? row.lastName : null,
    email: unlocked ? row.email : null,
    location: unlocked ? row.location : null,
    portfolioUrl: unlocked ? row.portfolioUrl : null,
    portfolioImages: unlocked ? list<string>(row.portfolioImages) : null,
    caseStudies: unlocked ? list<Record<string, unknown>>(row.caseStudies) : null,
  }
}

/**
 * The listed (approved) designers among `ids` as the viewer may see them, read in the viewer's
 * transaction (row-level security applies): unlocked for a client who unlocked them, and for
 * admins. A designer missing from the map is not listed (unapproved or gone).
 */
export async function designerViews(tx: Executor, viewer: Claims, ids: readonly string[]): Promise<Map<string, DesignerView>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  // One statement with the unlock check inside: a profile read is one round trip
  // (docs/decisions/0022-one-round-trip.md).
  const rows = await tx
    .selectFrom('onedesigner.designers')
    .select(DESIGNER_COLUMNS)
    .select((eb) =>
      (viewer.role === 'client'
        ? eb.exists(
            eb
              .selectFrom('onedesigner.clientDesigners as cd')
              .select('cd.designerId')
              .whereRef('cd.designerId', '=', 'onedesigner.designers.id')
              .where('cd.clientId', '=', viewer.sub),
          )
        : eb.val(viewer.role === 'admin')
      ).as('unlockedByViewer'),
    )
    .where('id', 'in', unique)
    .where('isApproved', '=', true)
    .execute()
  return new Map(rows.map(({ unlockedByViewer, ...r }) => [r.id, designerAsSeen(r, !!unlockedByViewer)]))
}
