// A brief's HTTP shape. category_specific_fields is checked against the project type in the
// service (catalog.CATEGORY_FIELDS), because on PATCH the type may come from the stored brief.
import { z } from 'zod'
import { budgetSchema, categorySchema, CATEGORY_FIELDS, industrySchema, styleSchema, timelineSchema } from '../catalog'
import { httpUrl, uniqueList } from '../designers/profile-schema'

const text = (max: number) => z.string().trim().min(1).max(max)
const longText = (max: number) => z.string().trim().max(max)

const briefFields = {
  projectType: categorySchema,
  industry: industrySchema.nullable(),
  budget: budgetSchema.nullable(),
  timeline: timelineSchema.nullable(),
  projectTitle: text(200).nullable(),
  projectDescription: longText(10_000).nullable(),
  requirements: longText(10_000).nullable(),
  targetAudience: longText(2_000).nullable(),
  additionalNotes: longText(5_000).nullable(),
  styles: uniqueList(styleSchema, 10),
  deliverables: uniqueList(text(200), 50),
  referenceMaterials: z.array(httpUrl).max(20).describe('Links to reference images or sites'),
  categorySpecificFields: z.record(z.string(), z.unknown()).describe(
    'Fields of the chosen project type: ' +
      Object.entries(CATEGORY_FIELDS)
        .map(([c, s]) => `${c} (${Object.keys(s.shape).join(', ')})`)
        .join('; '),
  ),
}

export const createBriefSchema = z
  .object(briefFields)
  .partial()
  .required({ projectType: true })
  .strict()
  .describe('A new brief; only projectType is required')

export const patchBriefSchema = z
  .object(briefFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'give at least one field to change')
  .describe('Brief fields to change; others stay as they are')

export type CreateBrief = z.infer<typeof createBriefSchema>
export type PatchBrief = z.infer<typeof patchBriefSchema>

export const briefStatusSchema = z.enum(['active', 'completed', 'cancelled'])

export const briefSchema = z
  .object({
    id: z.string(),
    clientId: z.string(),
    projectType: z.string(),
    industry: z.string().nullable(),
    budget: z.string().nullable(),
    timeline: z.string().nullable(),
    projectTitle: z.string().nullable(),
    projectDescription: z.string().nullable(),
    requirements: z.string().nullable(),
    targetAudience: z.string().nullable(),
    additionalNotes: z.string().nullable(),
    styles: z.array(z.string()),
    deliverables: z.array(z.string()),
    referenceMaterials: z.array(z.unknown()),
    categorySpecificFields: z.record(z.string(), z.unknown()),
    status: briefStatusSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Brief', description: 'A client brief' })

export type Brief = z.infer<typeof briefSchema>
