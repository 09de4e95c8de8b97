// SQL over onedesigner.designers and the stats view. Callers pass the transaction: user-facing
// work arrives here inside withUser, so row-level security decides what a query can see.
import { sql, type NotNull, type Updateable } from 'kysely'
import { type Executor, type OnedesignerDesigners, toDbRow } from '../../../platform'

export type DesignerRow = NonNullable<Awaited<ReturnType<typeof findDesigner>>>
// The jsonb columns take any value that serialises to JSON; toRow sends it as JSON text.
type DesignerChanges = Omit<Updateable<OnedesignerDesigners>, 'portfolioImages' | 'caseStudies'> & {
  portfolioImages?: unknown
  caseStudies?: unknown
}

export const DESIGNER_COLUMNS = [
  'id',
  'email',
  'firstName',
  'lastName',
  'professionalTitle',
  'bio',
  'location',
  'avatarUrl',
  'yearsExperience',
  'categories',
  'industriesWorked',
  'designStyles',
  'tools',
  'skills',
  'portfolioUrl',
  'portfolioImages',
  'caseStudies',
  'rateRange',
  'availabilityStatus',
  'workingHours',
  'timezone',
  'isVerified',
  'isApproved',
  'editedAfterApproval',
  'lastApprovedAt',
  'rejectionReason',
  'createdAt',
  'updatedAt',
  // Kept by the resubmission trigger (migration 0006) when a rejected designer edits their profile.
  sql<string | null>`metadata->>'last_rejection_reason'`.as('previousRejectionReason'),
] as const

const JSON_COLUMNS = new Set(['portfolioImages', 'caseStudies'])

const toRow = (values: DesignerChanges) => toDbRow(values, JSON_COLUMNS) as Updateable<OnedesignerDesigners>

export async function findDesigner(db: Executor, id: string) {
  return db.selectFrom('onedesigner.designers').select(DESIGNER_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function updateDesigner(db: Executor, id: string, values: DesignerChanges): Promise<DesignerRow | undefined> {
  return db.updateTable('onedesigner.designers').set(toRow(values)).where('id', '=', id).returning(DESIGNER_COLUMNS).executeTakeFirst()
}

// A view's columns are nullable to the catalog; the view coalesces every one of these.
type StatsColumns = {
  designerId: NotNull
  totalMatches: NotNull
  avgMatchScore: NotNull
  pendingRequests: NotNull
  acceptedRequests: NotNull
  priorityScore: NotNull
}
export type StatsRow = NonNullable<Awaited<ReturnType<typeof findMyStats>>>

/** The caller's own row of the materialized stats (the view filters by platform.uid()). */
export async function findMyStats(db: Executor) {
  return db
    .selectFrom('onedesigner.myDesignerStats')
    .select(['designerId', 'totalMatches', 'avgMatchScore', 'pendingRequests', 'acceptedRequests', 'priorityScore'])
    .$narrowType<StatsColumns>()
    .executeTakeFirst()
}

export type ReviewStatus = 'pending' | 'approved' | 'rejected' | 'edited'

/** Designers in one state of the review workflow, oldest waiting first for the queues. */
export async function listByReviewStatus(
  db: Executor,
  status: ReviewStatus,
  page: { limit: number; offset: number },
): Promise<{ rows: DesignerRow[]; total: number }> {
  let q = db.selectFrom('onedesigner.designers')
  if (status === 'pending') q = q.where('isApproved', 'is not', true).where('rejectionReason', 'is', null)
  if (status === 'rejected') q = q.where('isApproved', 'is not', true).where('rejectionReason', 'is not', null)
  if (status === 'approved') q = q.where('isApproved', '=', true)
  if (status === 'edited') q = q.where('isApproved', '=', true).where('editedAfterApproval', '=', true)
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  let rows = q.select(DESIGNER_COLUMNS)
  rows =
    status === 'pending'
      ? rows.orderBy('createdAt', 'asc')
      : status === 'edited'
        ? rows.orderBy('updatedAt', 'asc')
        : status === 'approved'
          ? rows.orderBy('lastApprovedAt', 'desc')
          : rows.orderBy('updatedAt', 'desc')
  return { rows: await rows.orderBy('id').limit(page.limit).offset(page.offset).execute(), total: Number(total) }
}
