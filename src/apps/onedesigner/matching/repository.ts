// SQL for matching. Every function takes the caller's transaction (withUser), so row-level
// security decides what a client can see: their own briefs, matches and cache, approved designers.
import { sql, type RawBuilder } from 'kysely'
import type { Tx } from '../../../platform/db/database'

export interface BriefRow {
  id: string
  clientId: string
  projectType: string
  industry: string | null
  budget: string | null
  timeline: string | null
  projectTitle: string | null
  projectDescription: string | null
  requirements: string | null
  targetAudience: string | null
  styles: string[] | null
  deliverables: string[] | null
  status: string
  embeddingF32: Buffer | null
  embeddingHash: string | null
  embeddingModel: string | null
}

export async function findBrief(tx: Tx, briefId: string): Promise<BriefRow | undefined> {
  return (await tx
    .selectFrom('onedesigner.briefs as b')
    .leftJoin('onedesigner.briefEmbeddings as be', 'be.briefId', 'b.id')
    .select([
      'b.id',
      'b.clientId',
      'b.projectType',
      'b.industry',
      'b.budget',
      'b.timeline',
      'b.projectTitle',
      'b.projectDescription',
      'b.requirements',
      'b.targetAudience',
      'b.styles',
      'b.deliverables',
      'b.status',
      'be.embeddingF32',
      'be.textHash as embeddingHash',
      'be.modelVersion as embeddingModel',
    ])
    .where('b.id', '=', briefId)
    .executeTakeFirst()) as BriefRow | undefined
}

export async function saveBriefEmbedding(tx: Tx, row: { briefId: string; embeddingF32: Buffer; textHash: string; modelVersion: string; tokens: number; createdAt: Date }) {
  await tx
    .insertInto('onedesigner.briefEmbeddings')
    .values(row)
    .onConflict((oc) =>
      oc.column('briefId').doUpdateSet({
        embeddingF32: sql`excluded.embedding_f32`,
        textHash: sql`excluded.text_hash`,
        modelVersion: sql`excluded.model_version`,
        tokens: sql`excluded.tokens`,
        createdAt: sql`excluded.created_at`,
      }),
    )
    .execute()
}

export interface CandidateQuery {
  projectType: string
  industry: string | null
  styles: string[]
  /** Rate ranges that suit the budget; the pre-rank prefers them. */
  fittingRates: string[]
  limit: number
}

export interface CandidateRow {
  id: string
  firstName: string
  professionalTitle: string | null
  bio: string | null
  categories: string[]
  industriesWorked: string[]
  designStyles: string[]
  tools: string[]
  skills: string[]
  rateRange: string | null
  availabilityStatus: string
  embeddingF32: Buffer | null
  embeddingModel: string | null
  needsUpdate: boolean | null
}

/**
 * Hard filters (approved, available, in the brief's category) and a cheap pre-rank on the
 * structured facts SQL can judge from indexes and arrays (industry, style overlap, rate that
 * suits the budget), weighted like the engine's factors; only the best `limit` carry their
 * embeddings back for the exact cosine. Ties break on id so the set is stable.
 */
export function candidateSql(q: CandidateQuery): RawBuilder<CandidateRow> {
  return sql<CandidateRow>`
    select c.id, c.first_name, c.professional_title, c.bio, c.categories, c.industries_worked,
           c.design_styles, c.tools, c.skills, c.rate_range, c.availability_status,
           e.embedding_f32, e.model_version as embedding_model, e.needs_update
    from (
      select d.id, d.first_name, d.professional_title, d.bio, d.categories, d.industries_worked,
             d.design_styles, d.tools, d.skills, d.rate_range, d.availability_status
      from onedesigner.designers d
      where d.is_approved = true
        and d.availability_status = 'available'
        and d.categories @> array[${q.projectType}]::text[]
      order by (coalesce(d.industries_worked @> array[${q.industry}]::text[], false))::int * 20
             + (d.design_styles && ${q.styles}::text[])::int * 15
             + (d.rate_range = any(${q.fittingRates}::text[]))::int * 15 desc,
               d.id
      limit ${q.limit}
    ) c
    left join onedesigner.designer_embeddings e on e.designer_id = c.id`
}

export async function findCandidates(tx: Tx, q: CandidateQuery): Promise<CandidateRow[]> {
  return (await candidateSql(q).execute(tx)).rows
}

export interface CacheRow {
  designerId: string
  score: number
  expiresAt: Date
  cacheHits: number
  briefKey: string | null
}

export async function freshCache(tx: Tx, briefId: string, now: Date): Promise<CacheRow[]> {
  return (await tx
    .selectFrom('onedesigner.matchCache')
    .select(['designerId', 'score', 'expiresAt', 'cacheHits', sql<string | null>`ai_analysis->>'briefKey'`.as('briefKey')])
    .where('briefId', '=', briefId)
    .where('expiresAt', '>', now)
    .execute()) as CacheRow[]
}

export async function countCacheHit(tx: Tx, briefId: string, now: Date) {
  await tx
    .updateTable('onedesigner.matchCache')
    .set({ cacheHits: sql`cache_hits + 1` })
    .where('briefId', '=', briefId)
    .where('expiresAt', '>', now)
    .execute()
}

export interface NewMatch {
  clientId: string
  designerId: string
  briefId: string
  score: number
  reasons: string[]
  aiMessage: string
  aiAnalysis: unknown
  matchVersion: string
  aiProvider: string
  processingTime: number
  tokensUsed: number
  expiresAt: Date
  createdAt: Date
}

/**
 * One row per (client, designer, brief): a repeat refreshes the computed columns and the
 * expiry; an unlocked match stays unlocked, an expired one becomes active again.
 */
export async function upsertMatches(tx: Tx, rows: NewMatch[]): Promise<void> {
  if (rows.length === 0) return
  await tx
    .insertInto('onedesigner.matches')
    .values(rows.map((r) => ({ ...r, aiAnalysis: JSON.stringify(r.aiAnalysis) })))
    .onConflict((oc) =>
      oc.columns(['clientId', 'designerId', 'briefId']).doUpdateSet({
        score: sql`excluded.score`,
        reasons: sql`excluded.reasons`,
        aiMessage: sql`excluded.ai_message`,
        aiAnalysis: sql`excluded.ai_analysis`,
        matchVersion: sql`excluded.match_version`,
        aiProvider: sql`excluded.ai_provider`,
        processingTime: sql`excluded.processing_time`,
        tokensUsed: sql`excluded.tokens_used`,
        expiresAt: sql`excluded.expires_at`,
        status: sql`case when onedesigner.matches.status = 'expired' then 'active' else onedesigner.matches.status end`,
      }),
    )
    .execute()
}

export async function upsertCache(
  tx: Tx,
  rows: { briefId: string; designerId: string; score: number; reasons: string[]; message: string; aiAnalysis: unknown; expiresAt: Date; createdAt: Date; generationTime: number }[],
) {
  if (rows.length === 0) return
  await tx
    .insertInto('onedesigner.matchCache')
    .values(rows.map((r) => ({ ...r, aiAnalysis: JSON.stringify(r.aiAnalysis), cacheHits: 0 })))
    .onConflict((oc) =>
      oc.columns(['briefId', 'designerId']).doUpdateSet({
        score: sql`excluded.score`,
        reasons: sql`excluded.reasons`,
        message: sql`excluded.message`,
        aiAnalysis: sql`excluded.ai_analysis`,
        expiresAt: sql`excluded.expires_at`,
        createdAt: sql`excluded.created_at`,
        generationTime: sql`excluded.generation_time`,
        cacheHits: 0,
      }),
    )
    .execute()
}

/** Drops the brief's live cache, so the next request recomputes (the brief changed). */
export async function clearCache(tx: Tx, briefId: string) {
  await tx.deleteFrom('onedesigner.matchCache').where('briefId', '=', briefId).execute()
}

export interface MatchRow {
  id: string
  briefId: string
  designerId: string
  score: number
  reasons: string[]
  aiMessage: string | null
  aiAnalysis: any
  aiProvider: string | null
  matchVersion: string | null
  processingTime: number | null
  tokensUsed: number | null
  status: string
  expiresAt: Date | null
  createdAt: Date
  unlockedAt: Date | null
  dFirstName: string
  dProfessionalTitle: string | null
  dCategories: string[]
  dIndustriesWorked: string[]
  dDesignStyles: string[]
  dRateRange: string | null
  dAvailabilityStatus: string
}

// The inner join on designers applies their RLS: a designer no longer approved drops out.
const matchesWithDesigner = (tx: Tx, withAnalysis: boolean) =>
  tx
    .selectFrom('onedesigner.matches as m')
    .innerJoin('onedesigner.designers as d', 'd.id', 'm.designerId')
    .select([
      'm.id',
      'm.briefId',
      'm.designerId',
      'm.score',
      'm.reasons',
      'm.aiMessage',
      'm.aiProvider',
      'm.matchVersion',
      'm.processingTime',
      'm.tokensUsed',
      'm.status',
      'm.expiresAt',
      'm.createdAt',
      'm.unlockedAt',
      withAnalysis ? 'm.aiAnalysis' : sql`null`.as('aiAnalysis'),
      'd.firstName as dFirstName',
      'd.professionalTitle as dProfessionalTitle',
      'd.categories as dCategories',
      'd.industriesWorked as dIndustriesWorked',
      'd.designStyles as dDesignStyles',
      'd.rateRange as dRateRange',
      'd.availabilityStatus as dAvailabilityStatus',
    ])

export async function listBriefMatches(tx: Tx, briefId: string, designerIds?: string[]): Promise<MatchRow[]> {
  let q = matchesWithDesigner(tx, false).where('m.briefId', '=', briefId)
  if (designerIds) {
    if (designerIds.length === 0) return []
    q = q.where('m.designerId', 'in', designerIds)
  }
  return (await q.orderBy('m.score', 'desc').orderBy('m.createdAt', 'desc').orderBy('m.id').execute()) as MatchRow[]
}

export async function findMatch(tx: Tx, matchId: string, withAnalysis = false): Promise<MatchRow | undefined> {
  return (await matchesWithDesigner(tx, withAnalysis).where('m.id', '=', matchId).executeTakeFirst()) as MatchRow | undefined
}
