// SQL over onedesigner.briefs, always inside the caller's withUser transaction (RLS: a client
// sees only their own briefs).
import { type Executor, toDbRow, type OnedesignerBriefs } from '../../../platform'
import type { Insertable, Updateable } from 'kysely'

export type BriefRow = NonNullable<Awaited<ReturnType<typeof findBrief>>>
// The jsonb columns take any value that serialises to JSON; toRow sends it as JSON text.
type JsonValues<T> = Omit<T, 'referenceMaterials' | 'categorySpecificFields'> & {
  referenceMaterials?: unknown
  categorySpecificFields?: unknown
}

/** What the brief says, without whose it is or its state: what a project request sends a designer. */
export const BRIEF_CONTENT_COLUMNS = [
  'id',
  'projectType',
  'industry',
  'budget',
  'timeline',
  'projectTitle',
  'projectDescription',
  'requirements',
  'targetAudience',
  'additionalNotes',
  'styles',
  'deliverables',
  'referenceMaterials',
  'categorySpecificFields',
  'createdAt',
  'updatedAt',
] as const

const COLUMNS = [...BRIEF_CONTENT_COLUMNS, 'clientId', 'status'] as const

const JSON_COLUMNS = new Set(['referenceMaterials', 'categorySpecificFields'])

const toRow = <T extends object>(values: JsonValues<T>) => toDbRow(values, JSON_COLUMNS) as T

export async function insertBrief(db: Executor, values: JsonValues<Insertable<OnedesignerBriefs>>): Promise<BriefRow> {
  return db.insertInto('onedesigner.briefs').values(toRow(values)).returning(COLUMNS).executeTakeFirstOrThrow()
}

export async function findBrief(db: Executor, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = db.selectFrom('onedesigner.briefs').select(COLUMNS).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export async function listBriefs(
  db: Executor,
  clientId: string,
  filter: { status?: string; limit: number; offset: number },
): Promise<{ rows: BriefRow[]; total: number }> {
  let q = db.selectFrom('onedesigner.briefs').where('clientId', '=', clientId)
  if (filter.status) q = q.where('status', '=', filter.status)
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  const rows = await q.select(COLUMNS).orderBy('createdAt', 'desc').orderBy('id').limit(filter.limit).offset(filter.offset).execute()
  return { rows, total: Number(total) }
}

export async function updateBrief(db: Executor, id: string, values: JsonValues<Updateable<OnedesignerBriefs>>): Promise<BriefRow> {
  return db.updateTable('onedesigner.briefs').set(toRow(values)).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow()
}

/** Cached match scores were computed from the old brief; they must not outlive an edit. */
export async function forgetCachedMatches(db: Executor, briefId: string): Promise<void> {
  await db.deleteFrom('onedesigner.matchCache').where('briefId', '=', briefId).execute()
}
