// SQL for matching. Every function takes the caller's transaction (withUser), so row-level
// security decides what a client can see: their own briefs, matches and cache, approved designers.
import { sql, type RawBuilder, type Selectable } from 'kysely'
import type { Json, OnedesignerDesignerEmbeddings, OnedesignerDesigners, Tx } from '../../../platform'

/** The brief facts matching reads, with its cached embedding and live cache entries. */
export type BriefRow = NonNullable<Awaited<ReturnType<typeof findBriefWithCache>>>

/**
 * The brief (RLS: only its owner sees it), its cached embedding and its live cache entries (the
 * designers in its unexpired cache, and the brief key each was computed for), in one round trip.
 */
export async function findBriefWithCache(tx: Tx, briefId: string, now: Date) {
  return tx
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
      sql<
        string[]
      >`array(select mc.designer_id::text from onedesigner.match_cache mc where mc.brief_id = b.id and mc.expires_at > ${now} order by mc.designer_id)`.as(
        'cacheDesignerIds',
      ),
      sql<
        (string | null)[]
      >`array(select mc.ai_analysis->>'briefKey' from onedesigner.match_cache mc where mc.brief_id = b.id and mc.expires_at > ${now} order by mc.designer_id)`.as(
        'cacheBriefKeys',
      ),
    ])
    .where('b.id', '=', briefId)
    .executeTakeFirst()
}

export interface CandidateQuery {
  projectType: string
  industry: string | null
  styles: string[]
  /** Rate ranges that suit the budget; the pre-rank prefers them. */
  fittingRates: string[]
  limit: number
}

type DesignerColumns = Selectable<OnedesignerDesigners>
type EmbeddingColumns = Selectable<OnedesignerDesignerEmbeddings>

/** A designer's matching facts with their embedding (left-joined: null when not embedded yet). */
export type CandidateRow = Pick<
  DesignerColumns,
  | 'id'
  | 'firstName'
  | 'professionalTitle'
  | 'bio'
  | 'categories'
  | 'industriesWorked'
  | 'designStyles'
  | 'tools'
  | 'skills'
  | 'rateRange'
  | 'availabilityStatus'
> & {
  embeddingF32: EmbeddingColumns['embeddingF32']
  embeddingModel: EmbeddingColumns['modelVersion'] | null
  needsUpdate: EmbeddingColumns['needsUpdate'] | null
}

/**
 * Hard filters (approved, available, in the brief's category) and a cheap pre-rank on the
 * structured facts SQL can judge from arrays (industry, style overlap, rate that suits the
 * budget), weighted like the engine's factors; only the best `limit` carry their profiles and
 * embeddings back for the exact cosine. Ties break on id so the set is stable. Both steps read
 * designer_match_facets (0007): only matchable designers, one narrow row per category, found by
 * its primary key; the wide designers rows are read for the chosen few only (and their RLS
 * applies there).
 */
export function candidateSql(q: CandidateQuery): RawBuilder<CandidateRow> {
  return sql<CandidateRow>`
    select d.id, d.first_name, d.professional_title, d.bio, d.categories, d.industries_worked,
           d.design_styles, d.tools, d.skills, d.rate_range, d.availability_status,
           e.embedding_f32, e.model_version as embedding_model, e.needs_update
    from (
      select f.designer_id
      from onedesigner.designer_match_facets f
      where f.category = ${q.projectType}
      order by (coalesce(f.industries_worked @> array[${q.industry}]::text[], false))::int * 20
             + (f.design_styles && ${q.styles}::text[])::int * 15
             + (f.rate_range = any(${q.fittingRates}::text[]))::int * 15 desc,
               f.designer_id
      limit ${q.limit}
    ) c
    join onedesigner.designers d on d.id = c.designer_id
    left join onedesigner.designer_embeddings e on e.designer_id = d.id`
}

export async function findCandidates(tx: Tx, q: CandidateQuery): Promise<CandidateRow[]> {
  return (await candidateSql(q).execute(tx)).rows
}

export type MatchRow = NonNullable<Awaited<ReturnType<typeof findMatch>>>

const matchColumns = (withAnalysis: boolean) =>
  [
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
    // ai_analysis is a wide jsonb; only a single match's detail reads it.
    (withAnalysis ? sql<Json>`m.ai_analysis` : sql<Json | null>`null`).as('aiAnalysis'),
  ] as const

// The inner join on designers applies their RLS: a designer no longer approved drops out.
const matchesWithDesigner = (tx: Tx, withAnalysis: boolean) =>
  tx
    .selectFrom('onedesigner.matches as m')
    .innerJoin('onedesigner.designers as d', 'd.id', 'm.designerId')
    .select(matchColumns(withAnalysis))

export async function listBriefMatches(tx: Tx, briefId: string, designerIds?: string[]) {
  let q = matchesWithDesigner(tx, false).where('m.briefId', '=', briefId)
  if (designerIds) {
    if (designerIds.length === 0) return []
    q = q.where('m.designerId', 'in', designerIds)
  }
  return q.orderBy('m.score', 'desc').orderBy('m.createdAt', 'desc').orderBy('m.id').execute()
}

export async function findMatch(tx: Tx, matchId: string, withAnalysis = false) {
  return matchesWithDesigner(tx, withAnalysis).where('m.id', '=', matchId).executeTakeFirst()
}

/** A cache hit: counts it and reads the cached matches, in one statement. */
export async function serveCached(tx: Tx, briefId: string, designerIds: string[], now: Date): Promise<MatchRow[]> {
  if (designerIds.length === 0) return []
  return tx
    .with('hit', (db) =>
      db
        .updateTable('onedesigner.matchCache')
        .set({ cacheHits: sql`cache_hits + 1` })
        // Lock the brief's cache rows in id order first: two hits updating the same rows in
        // different physical orders would otherwise deadlock.
        .where(
          'id',
          'in',
          sql<string>`(select id from onedesigner.match_cache where brief_id = ${briefId} and expires_at > ${now} order by id for update)`,
        ),
    )
    .selectFrom('onedesigner.matches as m')
    .innerJoin('onedesigner.designers as d', 'd.id', 'm.designerId')
    .select(matchColumns(false))
    .where('m.briefId', '=', briefId)
    .where('m.designerId', 'in', designerIds)
    .orderBy('m.score', 'desc')
    .orderBy('m.createdAt', 'desc')
    .orderBy('m.id')
    .execute()
}

export interface MatchRun {
  clientId: string
  briefId: string
  matchVersion: string
  aiProvider: string
  processingTime: number
  createdAt: Date
  expiresAt: Date
  cacheExpiresAt: Date
  /** Stored with the run when it was computed now rather than read from brief_embeddings. */
  briefEmbedding: { embeddingF32: Buffer; textHash: string; modelVersion: string; tokens: number } | null
  matches: { designerId: string; score: number; reasons: string[]; aiMessage: string; aiAnalysis: unknown; tokensUsed: number }[]
}

/**
 * Stores one computed run in a single statement (one round trip instead of five): the brief's
 * embedding if it was made now; matches, one row per (client, designer, brief), where a repeat
 * refreshes the computed columns and the expiry, an unlocked match stays unlocked and an
 * expired one becomes active again; the brief's cache, replaced by this run's rows. Returns the
 * stored matches with their designers, best first.
 */
export async function saveMatchRun(tx: Tx, run: MatchRun): Promise<MatchRow[]> {
  if (run.matches.length === 0) return []
  const e = run.briefEmbedding
  const rows = JSON.stringify(
    run.matches.map((m) => ({
      designer_id: m.designerId,
      score: m.score,
      reasons: m.reasons,
      ai_message: m.aiMessage,
      ai_analysis: m.aiAnalysis,
      tokens_used: m.tokensUsed,
    })),
  )
  const result = await sql<MatchRow>`
    -- The brief's cache rows are taken in id order before they change, as serveCached does, so a
    -- save and a concurrent cache hit queue up instead of deadlocking: both changes of the cache
    -- read \`locked\` in full first.
    with locked as (
      select id from onedesigner.match_cache where brief_id = ${run.briefId}::uuid order by id for update
    ),
    run as (
      select * from jsonb_to_recordset(${rows}::jsonb)
        as r(designer_id uuid, score integer, reasons text[], ai_message text, ai_analysis jsonb, tokens_used integer)
    ),
    brief_embedding as (
      insert into onedesigner.brief_embeddings (brief_id, embedding_f32, text_hash, model_version, tokens, created_at)
      select ${run.briefId}::uuid, ${e?.embeddingF32 ?? null}::bytea, ${e?.textHash ?? null}, ${e?.modelVersion ?? null}, ${e?.tokens ?? 0}::integer, ${run.createdAt}::timestamptz
      where ${e !== null}::boolean
      on conflict (brief_id) do update set
        embedding_f32 = excluded.embedding_f32, text_hash = excluded.text_hash, model_version = excluded.model_version,
        tokens = excluded.tokens, created_at = excluded.created_at
    ),
    stale_cache as (
      delete from onedesigner.match_cache
      where id in (select id from locked) and designer_id not in (select designer_id from run)
    ),
    cache as (
      insert into onedesigner.match_cache (brief_id, designer_id, score, reasons, message, ai_analysis, expires_at, created_at, generation_time, cache_hits)
      select ${run.briefId}::uuid, designer_id, score, reasons, ai_message, ai_analysis, ${run.cacheExpiresAt}::timestamptz, ${run.createdAt}::timestamptz, ${run.processingTime}::integer, 0
      from run where (select count(*) from locked) >= 0
      on conflict (brief_id, designer_id) do update set
        score = excluded.score, reasons = excluded.reasons, message = excluded.message, ai_analysis = excluded.ai_analysis,
        expires_at = excluded.expires_at, created_at = excluded.created_at, generation_time = excluded.generation_time, cache_hits = 0
    ),
    m as (
      insert into onedesigner.matches (client_id, designer_id, brief_id, score, reasons, ai_message, ai_analysis, match_version, ai_provider,
                                       processing_time, tokens_used, expires_at, created_at)
      select ${run.clientId}::uuid, designer_id, ${run.briefId}::uuid, score, reasons, ai_message, ai_analysis, ${run.matchVersion}, ${run.aiProvider},
             ${run.processingTime}::integer, tokens_used, ${run.expiresAt}::timestamptz, ${run.createdAt}::timestamptz
      from run
      on conflict (client_id, designer_id, brief_id) do update set
        score = excluded.score, reasons = excluded.reasons, ai_message = excluded.ai_message, ai_analysis = excluded.ai_analysis,
        match_version = excluded.match_version, ai_provider = excluded.ai_provider, processing_time = excluded.processing_time,
        tokens_used = excluded.tokens_used, expires_at = excluded.expires_at,
        status = case when onedesigner.matches.status = 'expired' then 'active' else onedesigner.matches.status end
      returning *
    )
    -- The inner join applies the designers' RLS, as listBriefMatches does.
    select m.id, m.brief_id, m.designer_id, m.score, m.reasons, m.ai_message, null as ai_analysis, m.ai_provider, m.match_version,
           m.processing_time, m.tokens_used, m.status, m.expires_at, m.created_at, m.unlocked_at,
           d.first_name as d_first_name, d.professional_title as d_professional_title, d.categories as d_categories,
           d.industries_worked as d_industries_worked, d.design_styles as d_design_styles, d.rate_range as d_rate_range,
           d.availability_status as d_availability_status
    from m join onedesigner.designers d on d.id = m.designer_id
    order by m.score desc, m.created_at desc, m.id`.execute(tx)
  return result.rows
}
