// Client briefs: create, read, change and cancel one's own. Category fields are validated
// against the project type with catalog.CATEGORY_FIELDS.
import type { z } from 'zod'
import { type Platform, withUser, withUserRead, type Claims, AppError, conflict, notFound } from '../../../platform'
import { CATEGORY_FIELDS, type Category } from '../catalog'
import { findBrief, forgetCachedMatches, insertBrief, listBriefs, updateBrief, type BriefRow } from './repository'
import type { Brief, CreateBrief, PatchBrief } from './brief-schema'

const FIELD = 'body.categorySpecificFields'

/** Validates category_specific_fields for a project type; errors name each offending field. */
export function validateCategoryFields(projectType: Category, fields: unknown): Record<string, unknown> {
  const schema = CATEGORY_FIELDS[projectType]
  const result = (schema as z.ZodType).safeParse(fields ?? {})
  if (result.success) return result.data as Record<string, unknown>
  const allowed = Object.keys(schema.shape).join(', ')
  // Fields of another category first: that is the likeliest mistake and the one to name.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'))
  const details = issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        field: `${FIELD}.${key}`,
        message: `"${key}" is not a field of ${projectType} briefs (fields: ${allowed})`,
      }))
    const path = issue.path.map(String)
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message)
    return [{ field: [FIELD, ...path].join('.'), message: missing ? `is required for ${projectType} briefs` : issue.message }]
  })
  const first = details[0]
  throw new AppError('validation_failed', `${first.field}: ${first.message}`, details)
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : [])

export function toBrief(row: BriefRow): Brief {
  return {
    id: row.id,
    clientId: row.clientId,
    projectType: row.projectType,
    industry: row.industry,
    budget: row.budget,
    timeline: row.timeline,
    projectTitle: row.projectTitle,
    projectDescription: row.projectDescription,
    requirements: row.requirements,
    targetAudience: row.targetAudience,
    additionalNotes: row.additionalNotes,
    styles: row.styles ?? [],
    deliverables: row.deliverables ?? [],
    referenceMaterials: list(row.referenceMaterials),
    categorySpecificFields:
      row.categorySpecificFields && typeof row.categorySpecificFields === 'object' && !Array.isArray(row.categorySpecificFields)
        ? (row.categorySpecificFields as Record<string, unknown>)
        : {},
    status: (row.status ?? 'active') as Brief['status'],
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  }
}

export function briefService(platform: Platform) {
  const db = platform.db.kysely
  return {
    async create(claims: Claims, input: CreateBrief): Promise<Brief> {
      const categorySpecificFields = validateCategoryFields(input.projectType, input.categorySpecificFields)
      const row = await withUser(db, claims, (tx) =>
        insertBrief(tx, { ...input, categorySpecificFields, clientId: claims.sub, status: 'active' }),
      )
      return toBrief(row)
    },

    async list(claims: Claims, filter: { status?: string; limit: number; offset: number }) {
      // Lag-tolerant: the replica when one is set, and the client's own new or edited brief is
      // always in the list (read-your-writes).
      const { rows, total } = await withUserRead(platform, claims, (tx) => listBriefs(tx, claims.sub, filter))
      return { briefs: rows.map(toBrief), total, limit: filter.limit, offset: filter.offset }
    },

    async get(claims: Claims, id: string): Promise<Brief> {
      const row = await withUserRead(platform, claims, (tx) => findBrief(tx, id))
      if (!row || row.clientId !== claims.sub) throw notFound('Brief')
      return toBrief(row)
    },

    async patch(claims: Claims, id: string, patch: PatchBrief): Promise<Brief> {
      const row = await withUser(db, claims, async (tx) => {
        const current = await findBrief(tx, id, { forUpdate: true })
        if (!current || current.clientId !== claims.sub) throw notFound('Brief')
        if (current.status !== 'active') throw conflict(`The brief is ${current.status}; only an active brief can be changed`)
        const values: Record<string, unknown> = { ...patch }
        if (patch.projectType !== undefined || patch.categorySpecificFields !== undefined) {
          // A new type keeps the stored fields only if they fit it; otherwise the error names them.
          const type = (patch.projectType ?? current.projectType) as Category
          values.categorySpecificFields = validateCategoryFields(type, patch.categorySpecificFields ?? current.categorySpecificFields)
        }
        const updated = await updateBrief(tx, id, values)
        await forgetCachedMatches(tx, id)
        return updated
      })
      return toBrief(row)
    },

    async cancel(claims: Claims, id: string): Promise<Brief> {
      const row = await withUser(db, claims, async (tx) => {
        const current = await findBrief(tx, id, { forUpdate: true })
        if (!current || current.clientId !== claims.sub) throw notFound('Brief')
        if (current.status === 'cancelled') return current
        if (current.status === 'completed') throw conflict('The brief is completed; it cannot be cancelled')
        return updateBrief(tx, id, { status: 'cancelled' })
      })
      return toBrief(row)
    },
  }
}
