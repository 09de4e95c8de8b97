// The designer profile's HTTP shape: what a designer may write, and the three views of a
// profile (public for clients, own for the designer, full for admins).
import { z } from 'zod'
import { availabilitySchema, categorySchema, experienceSchema, industrySchema, rateRangeSchema, styleSchema } from '../catalog'

const ZONES = new Set(Intl.supportedValuesOf('timeZone'))

/** An IANA zone name as written in the tz database ("Europe/Paris", "UTC"); no offsets, no abbreviations. */
export function isIanaZone(tz: string): boolean {
  if (tz === 'UTC' || ZONES.has(tz)) return true
  // Older and linked names (Asia/Calcutta, America/Argentina/Buenos_Aires) are valid but missing
  // from supportedValuesOf; ICU knows them, though it also accepts any casing, hence the pattern.
  if (!/^[A-Z][A-Za-z0-9_+-]*(\/[A-Z0-9][A-Za-z0-9_+-]*)+$/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const text = (max: number) => z.string().trim().min(1).max(max)
export const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
export const uniqueList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((a) => new Set(a).size === a.length, 'must not repeat values')

const caseStudy = z
  .object({
    title: text(200),
    summary: z.string().trim().max(5000).optional(),
    url: httpUrl.optional(),
    imageUrl: httpUrl.optional(),
    category: categorySchema.optional(),
  })
  .strict()

export const timezoneSchema = z
  .string()
  .trim()
  .max(50)
  .refine(isIanaZone, 'must be an IANA time zone such as "Europe/Paris" or "UTC"')
  .describe('IANA time zone, e.g. "Europe/Paris" or "UTC"')

/** Every field a designer may write. Nullable ones can be cleared; lists are cleared with []. */
const profileFields = {
  firstName: text(100),
  lastName: text(100),
  professionalTitle: text(200).nullable(),
  bio: z.string().trim().max(5000).nullable(),
  location: text(200).nullable(),
  avatarUrl: httpUrl.nullable(),
  yearsExperience: experienceSchema.nullable(),
  categories: uniqueList(categorySchema, 7).min(1, 'choose at least one category'),
  industriesWorked: uniqueList(industrySchema, 12),
  designStyles: uniqueList(styleSchema, 10),
  tools: uniqueList(text(60), 30),
  skills: uniqueList(text(60), 30),
  portfolioUrl: httpUrl.pipe(z.string().max(500)).nullable(),
  portfolioImages: z.array(httpUrl).max(30),
  caseStudies: z.array(caseStudy).max(20),
  rateRange: rateRangeSchema.nullable(),
  availabilityStatus: availabilitySchema,
  workingHours: text(200).nullable(),
  timezone: timezoneSchema.nullable(),
}

export const profilePatchSchema = z
  .object(profileFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'give at least one profile field to change')
  .describe('Profile fields to change; others stay as they are')

/** PUT replaces the whole editable profile: omitted optional fields are cleared. */
export const profilePutSchema = z
  .object(profileFields)
  .partial()
  .required({ firstName: true, lastName: true, categories: true })
  .strict()
  .describe('The whole editable profile')

export type ProfilePatch = z.infer<typeof profilePatchSchema>
export type ProfilePut = z.infer<typeof profilePutSchema>

export const PUT_DEFAULTS: Required<Omit<ProfilePut, 'firstName' | 'lastName' | 'categories'>> = {
  professionalTitle: null,
  bio: null,
  location: null,
  avatarUrl: null,
  yearsExperience: null,
  industriesWorked: [],
  designStyles: [],
  tools: [],
  skills: [],
  portfolioUrl: null,
  portfolioImages: [],
  caseStudies: [],
  rateRange: null,
  availabilityStatus: 'available',
  workingHours: null,
  timezone: null,
}

export const designerStatusSchema = z.enum(['pending', 'approved', 'rejected'])

export const publicProfileSchema = z
  .object({
    id: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    professionalTitle: z.string().nullable(),
    bio: z.string().nullable(),
    location: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    yearsExperience: z.string().nullable(),
    categories: z.array(z.string()),
    industriesWorked: z.array(z.string()),
    designStyles: z.array(z.string()),
    tools: z.array(z.string()),
    skills: z.array(z.string()),
    portfolioUrl: z.string().nullable(),
    portfolioImages: z.array(z.string()),
    caseStudies: z.array(z.record(z.string(), z.unknown())),
    rateRange: z.string().nullable(),
    availabilityStatus: z.string(),
    workingHours: z.string().nullable(),
    timezone: z.string().nullable(),
    isVerified: z.boolean(),
  })
  .meta({ id: 'DesignerPublicProfile', description: 'An approved designer as clients see them (contact details come with an unlock)' })

export const ownProfileSchema = publicProfileSchema
  .extend({
    email: z.string(),
    status: designerStatusSchema,
    isApproved: z.boolean(),
    editedAfterApproval: z.boolean(),
    lastApprovedAt: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    previousRejectionReason: z
      .string()
      .nullable()
      .describe('The last rejection, once the designer has changed their profile and is pending again'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DesignerProfile', description: 'A designer profile with its approval state' })

export const statsSchema = z
  .object({
    designerId: z.string(),
    computed: z.boolean().describe('false until the hourly statistics refresh has seen this designer'),
    totalMatches: z.number(),
    avgMatchScore: z.number(),
    pendingRequests: z.number(),
    acceptedRequests: z.number(),
    priorityScore: z.number(),
  })
  .meta({ id: 'DesignerStats', description: "The designer's last-30-day figures" })

export type PublicProfile = z.infer<typeof publicProfileSchema>
export type OwnProfile = z.infer<typeof ownProfileSchema>
export type DesignerStats = z.infer<typeof statsSchema>
