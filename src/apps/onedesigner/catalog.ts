// OneDesigner's vocabulary: design categories (a brief's project_type and a designer's
// categories), the fields each category asks of a brief, and the budget, timeline and rate
// ranges the matcher compares. Shared by briefs, designer profiles, matching and demo data.
import { z } from 'zod'

const count = (max: number) => z.number().int().min(1).max(max)

/** category_specific_fields, validated per project_type. */
export const CATEGORY_FIELDS = {
  'branding-logo': z
    .object({
      brandName: z.string().trim().min(1).max(120).optional(),
      hasExistingBrand: z.boolean().optional(),
      logoStyle: z.enum(['wordmark', 'lettermark', 'symbol', 'combination', 'emblem']).optional(),
      deliverableFormats: z
        .array(z.enum(['svg', 'png', 'pdf', 'ai', 'eps']))
        .max(5)
        .optional(),
    })
    .strict(),
  'web-mobile': z
    .object({
      platforms: z
        .array(z.enum(['web', 'ios', 'android']))
        .min(1)
        .max(3),
      pageCount: count(500).optional(),
      hasWireframes: z.boolean().optional(),
      designSystem: z.boolean().optional(),
    })
    .strict(),
  'social-media': z
    .object({
      channels: z
        .array(z.enum(['instagram', 'tiktok', 'linkedin', 'x', 'facebook', 'youtube']))
        .min(1)
        .max(6),
      postsPerMonth: count(500).optional(),
    })
    .strict(),
  'motion-graphics': z
    .object({
      durationSeconds: count(3600),
      withSound: z.boolean().optional(),
    })
    .strict(),
  illustration: z
    .object({
      illustrationCount: count(500),
      usage: z.enum(['editorial', 'product', 'marketing', 'book', 'other']).optional(),
    })
    .strict(),
  'print-packaging': z
    .object({
      printType: z.enum(['packaging', 'label', 'brochure', 'poster', 'business-card', 'other']),
      quantity: count(1_000_000).optional(),
    })
    .strict(),
  presentation: z
    .object({
      slideCount: count(500),
      tool: z.enum(['keynote', 'powerpoint', 'google-slides', 'figma', 'other']).optional(),
    })
    .strict(),
} as const

export type Category = keyof typeof CATEGORY_FIELDS
export const CATEGORIES = Object.keys(CATEGORY_FIELDS) as Category[]
export const categorySchema = z.enum(CATEGORIES as [Category, ...Category[]])

export const CATEGORY_LABELS: Record<Category, string> = {
  'branding-logo': 'Branding & Logo',
  'web-mobile': 'Web & Mobile Design',
  'social-media': 'Social Media',
  'motion-graphics': 'Motion Graphics',
  illustration: 'Illustration',
  'print-packaging': 'Print & Packaging',
  presentation: 'Presentation Design',
}

export const INDUSTRIES = [
  'technology',
  'finance',
  'healthcare',
  'education',
  'retail',
  'food-beverage',
  'real-estate',
  'entertainment',
  'nonprofit',
  'travel',
  'fashion',
  'sports',
] as const
export const STYLES = [
  'minimal',
  'bold',
  'playful',
  'elegant',
  'corporate',
  'vintage',
  'modern',
  'organic',
  'geometric',
  'hand-drawn',
] as const

/** Budget ranges a brief chooses from, in US dollars. */
export const BUDGETS = {
  'under-1k': { min: 0, max: 1_000 },
  '1k-5k': { min: 1_000, max: 5_000 },
  '5k-10k': { min: 5_000, max: 10_000 },
  '10k-25k': { min: 10_000, max: 25_000 },
  '25k-plus': { min: 25_000, max: 100_000 },
} as const
export type Budget = keyof typeof BUDGETS

/** Timelines a brief chooses from, in weeks until delivery. */
export const TIMELINES = {
  asap: { weeks: 1 },
  '1-2-weeks': { weeks: 2 },
  '2-4-weeks': { weeks: 4 },
  '1-3-months': { weeks: 12 },
  flexible: { weeks: 26 },
} as const
export type Timeline = keyof typeof TIMELINES
export const TIMELINE_LABELS: Record<Timeline, string> = {
  asap: 'as soon as possible',
  '1-2-weeks': '1–2 weeks',
  '2-4-weeks': '2–4 weeks',
  '1-3-months': '1–3 months',
  flexible: 'flexible',
}

/** Hourly rate ranges a designer chooses from, in US dollars. */
export const RATE_RANGES = {
  '$25-50/hr': { min: 25, max: 50 },
  '$50-100/hr': { min: 50, max: 100 },
  '$100-150/hr': { min: 100, max: 150 },
  '$150-250/hr': { min: 150, max: 250 },
} as const
export type RateRange = keyof typeof RATE_RANGES

export const AVAILABILITY = ['available', 'busy', 'unavailable'] as const

/** Years of experience a designer chooses from (stored in designers.years_experience). */
export const EXPERIENCE_LEVELS = {
  '0-2': { min: 0, max: 2 },
  '3-5': { min: 3, max: 5 },
  '6-10': { min: 6, max: 10 },
  '10+': { min: 10, max: 50 },
} as const
export type ExperienceLevel = keyof typeof EXPERIENCE_LEVELS

const keysOf = <T extends object>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]]
export const budgetSchema = z.enum(keysOf(BUDGETS))
export const timelineSchema = z.enum(keysOf(TIMELINES))
export const rateRangeSchema = z.enum(keysOf(RATE_RANGES))
export const experienceSchema = z.enum(keysOf(EXPERIENCE_LEVELS))
export const industrySchema = z.enum(INDUSTRIES)
export const styleSchema = z.enum(STYLES)
export const availabilitySchema = z.enum(AVAILABILITY)
