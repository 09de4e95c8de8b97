// Designer embeddings: the profile text a client's brief is compared with, embedded by the
// platform's AI provider and stored on the owner role (system work: users never write them).
// A trigger in 0001 sets needs_update when a designer edits a profile field; a trigger in 0004
// keeps the float32 copy the matcher reads.
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform, Executor } from '../../../platform'
import { CATEGORY_LABELS, type Category } from '../catalog'

export interface DesignerProfile {
  professionalTitle: string | null
  bio: string | null
  categories: string[] | null
  industriesWorked: string[] | null
  designStyles: string[] | null
  tools: string[] | null
  skills: string[] | null
}

export interface BriefForText {
  projectType: string
  industry: string | null
  projectTitle: string | null
  projectDescription: string | null
  requirements: string | null
  targetAudience: string | null
  styles: string[] | null
  deliverables: string[] | null
}

const label = (c: string) => CATEGORY_LABELS[c as Category] ?? c
const list = (xs: string[] | null | undefined) => (xs ?? []).filter(Boolean).join(', ')
const words = (xs: string[] | null | undefined) => (xs ?? []).map((x) => x.replace(/-/g, ' '))

/** The text a designer is embedded from: what they do, for whom and how. */
export function designerProfileText(d: DesignerProfile): string {
  return [
    d.professionalTitle,
    d.bio,
    `Categories: ${list((d.categories ?? []).map(label))}`,
    `Industries: ${list(words(d.industriesWorked))}`,
    `Styles: ${list(words(d.designStyles))}`,
    `Tools: ${list(d.tools)}`,
    `Skills: ${list(d.skills)}`,
  ]
    .filter(Boolean)
    .join('\n')
}

/** The text a brief is embedded from, in the same vocabulary as designer profiles. */
export function briefText(b: BriefForText): string {
  return [
    b.projectTitle,
    b.projectDescription,
    b.requirements,
    b.targetAudience,
    `Categories: ${label(b.projectType)}`,
    b.industry ? `Industries: ${b.industry.replace(/-/g, ' ')}` : null,
    `Styles: ${list(words(b.styles))}`,
    `Deliverables: ${list(b.deliverables)}`,
  ]
    .filter(Boolean)
    .join('\n')
}

export const textHash = (text: string) => createHash('sha256').update(text).digest('hex')

const selectProfiles = (db: Executor) =>
  db.selectFrom('onedesigner.designers as d').select([
    'd.id',
    'd.professionalTitle',
    'd.bio',
    'd.categories',
    'd.industriesWorked',
    'd.designStyles',
    'd.tools',
    'd.skills',
    // Exact to the microsecond, unlike a JS Date.
    sql<string>`d.updated_at::text`.as('updatedAtText'),
  ])

type DesignerRow = Awaited<ReturnType<ReturnType<typeof selectProfiles>['execute']>>[number]

async function embedAndStore(platform: Platform, rows: DesignerRow[]): Promise<void> {
  if (rows.length === 0) return
  const ai = platform.ai
  const { vectors, tokens } = await ai.embed(rows.map(designerProfileText))
  const now = platform.clock.now()
  const values = rows.map((r, i) => ({
    designerId: r.id,
    embedding: vectors[i],
    modelVersion: ai.embeddingModel,
    generatedAt: now,
    updatedAt: now,
    needsUpdate: false,
    metadata: JSON.stringify({
      provider: ai.name,
      dimensions: vectors[i].length,
      tokens: Math.round(tokens / rows.length),
      sourceUpdatedAt: r.updatedAtText,
    }),
  }))
  // An edit that lands between reading the profile and storing its embedding leaves the row
  // marked stale, so the next run embeds the new text.
  await platform.db.kysely
    .insertInto('onedesigner.designerEmbeddings')
    .values(values)
    .onConflict((oc) =>
      oc.column('designerId').doUpdateSet({
        embedding: sql`excluded.embedding`,
        modelVersion: sql`excluded.model_version`,
        generatedAt: sql`excluded.generated_at`,
        updatedAt: sql`excluded.updated_at`,
        metadata: sql`excluded.metadata`,
        needsUpdate: sql`false`,
      }),
    )
    .execute()
  await sql`
    update onedesigner.designer_embeddings e set needs_update = true
    from onedesigner.designers d
    where d.id = e.designer_id and e.designer_id = any(${rows.map((r) => r.id)}::uuid[])
      and d.updated_at::text is distinct from e.metadata->>'sourceUpdatedAt'`.execute(platform.db.kysely)
}

/** Computes and stores a designer's embedding now (owner role); clears needs_update. */
export async function refreshDesignerEmbedding(platform: Platform, designerId: string): Promise<void> {
  const row = await selectProfiles(platform.db.kysely).where('d.id', '=', designerId).executeTakeFirst()
  if (row) await embedAndStore(platform, [row])
}

/**
 * Embeds up to `limit` designers whose embedding is missing, marked stale, or made by another
 * model than the current provider's; returns how many were refreshed.
 */
export async function refreshStaleEmbeddings(platform: Platform, limit = 500, batchSize = 100): Promise<number> {
  const rows = await selectProfiles(platform.db.kysely)
    .leftJoin('onedesigner.designerEmbeddings as e', 'e.designerId', 'd.id')
    .where((eb) =>
      eb.or([eb('e.id', 'is', null), eb('e.needsUpdate', '=', true), eb('e.modelVersion', 'is distinct from', platform.ai.embeddingModel)]),
    )
    .orderBy('d.updatedAt')
    .orderBy('d.id')
    .limit(limit)
    .execute()
  for (let i = 0; i < rows.length; i += batchSize) await embedAndStore(platform, rows.slice(i, i + batchSize))
  return rows.length
}
