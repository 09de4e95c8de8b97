// Matching a client's brief with designers. One request reads under RLS (brief with its live
// cache, then candidates), computes outside any transaction (embeddings, engine, AI messages) and
// writes under RLS (matches, cache, the brief's embedding, in one statement). Repeats within 24 hours are served from
// match_cache; a brief edited since then is recomputed.
import { createHash } from 'node:crypto'
import {
  AppError,
  notFound,
  withUser,
  withUserRead,
  asynchronousCommit,
  type Claims,
  type Platform,
  type Tx,
  ENGINE_VERSION,
  explain,
  rankByRaw,
  recompute,
  score,
  strongestFactors,
  type Explanation,
  cosine,
  decodeFloat32,
  encodeFloat32,
  toFloat32,
  DAY,
  HOUR,
  addMs,
} from '../../../platform'
import { briefText, designerProfileText, textHash } from './embeddings'
import { SCORE_RANGE, factorsFor, ratesFittingBudget, rawScoreFor, sharedWords, type BriefFacts } from './factors'
import * as repo from './repository'
import { designerViews, type DesignerView } from '../designers/visibility'

/** Matches stored per brief. */
export const TOP_N = 5
/** Candidates the SQL pre-rank hands to the engine for the exact cosine. */
export const CANDIDATE_LIMIT = 200
export const MATCH_TTL_MS = 7 * DAY
export const CACHE_TTL_MS = 24 * HOUR

const SYSTEM_PROMPT =
  'You write one or two sentences recommending a designer to a client for their project brief. ' +
  'Use only the facts given; no greetings, no invented details.'

export interface MatchView {
  id: string
  briefId: string
  designerId: string
  score: number
  reasons: string[]
  aiMessage: string | null
  aiProvider: string
  matchVersion: string
  processingTime: number | null
  tokensUsed: number | null
  status: 'active' | 'unlocked' | 'expired'
  expiresAt: Date | null
  createdAt: Date
  unlockedAt: Date | null
  /** As the client may see them (designers/visibility.ts). */
  designer: DesignerView
}

export interface MatchResult {
  briefId: string
  cached: boolean
  candidatesConsidered: number
  matches: MatchView[]
}

/** Matches with their designers as the viewer may see them; a designer no longer listed drops out. */
async function withDesigners(tx: Tx, claims: Claims, rows: repo.MatchRow[]): Promise<MatchView[]> {
  const views = await designerViews(
    tx,
    claims,
    rows.map((r) => r.designerId),
  )
  return rows.flatMap((r) => {
    const designer = views.get(r.designerId)
    return designer ? [toView(r, designer)] : []
  })
}

export function toView(r: repo.MatchRow, designer: DesignerView): MatchView {
  return {
    id: r.id,
    briefId: r.briefId,
    designerId: r.designerId,
    score: r.score,
    reasons: r.reasons,
    aiMessage: r.aiMessage,
    aiProvider: r.aiProvider,
    matchVersion: r.matchVersion,
    processingTime: r.processingTime,
    tokensUsed: r.tokensUsed,
    status: r.status as MatchView['status'],
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    unlockedAt: r.unlockedAt,
    designer,
  }
}

const briefFacts = (b: repo.BriefRow): BriefFacts => ({
  projectType: b.projectType,
  projectTitle: b.projectTitle,
  industry: b.industry,
  budget: b.budget,
  timeline: b.timeline,
  styles: b.styles,
})

/** Everything about a brief that changes its matches; a cached result is served only while it holds. */
function briefKey(b: repo.BriefRow, text: string, model: string) {
  return createHash('sha256')
    .update(JSON.stringify([ENGINE_VERSION, model, text, b.projectType, b.industry, b.budget, b.timeline, b.styles]))
    .digest('hex')
    .slice(0, 32)
}

async function loadOwnBrief(tx: Parameters<typeof repo.findBriefWithCache>[0], briefId: string, now: Date) {
  const brief = await repo.findBriefWithCache(tx, briefId, now)
  // RLS hides other clients' briefs: theirs and missing ones look the same.
  if (!brief) throw notFound('Brief', { briefId })
  return brief
}

export async function matchBrief(platform: Platform, claims: Claims, briefId: string): Promise<MatchResult> {
  const started = performance.now()
  const ai = platform.ai
  const now = platform.clock.now()

  // Read only (its COMMIT is not waited for); a cache hit is served and counted in a write of its own.
  const read = await withUserRead(platform, claims, async (tx) => {
    const brief = await loadOwnBrief(tx, briefId, now)
    if (brief.status !== 'active')
      throw new AppError('conflict', `Only an active brief can be matched; this one is ${brief.status}`, { status: brief.status })
    const text = briefText(brief)
    const key = briefKey(brief, text, ai.embeddingModel)
    const cached = brief.cacheDesignerIds
    if (cached.length > 0 && brief.cacheBriefKeys.every((k) => k === key)) return { hit: true as const, cached }
    const candidates = await repo.findCandidates(tx, {
      projectType: brief.projectType,
      industry: brief.industry,
      styles: brief.styles,
      fittingRates: ratesFittingBudget(brief.budget),
      limit: CANDIDATE_LIMIT,
    })
    return { hit: false as const, brief, text, key, candidates }
  })
  if (read.hit) {
    const { cached } = read
    const rows = await withUser(platform.db.kysely, claims, async (tx) =>
      withDesigners(tx, claims, await repo.serveCached(tx, briefId, cached, now)),
    )
    return { briefId, cached: true, candidatesConsidered: 0, matches: rows }
  }

  const { brief, text, key, candidates } = read
  const hash = textHash(text)
  let briefVector: Float32Array
  let briefTokens = 0
  const reuse = brief.embeddingF32 && brief.embeddingHash === hash && brief.embeddingModel === ai.embeddingModel
  if (reuse) briefVector = decodeFloat32(brief.embeddingF32!)
  else {
    const out = await ai.embed([text])
    briefVector = toFloat32(out.vectors[0])
    briefTokens = out.tokens
  }

  // Designers not embedded yet, or whose profile changed since, are embedded now for this
  // ranking; the refresh job stores theirs.
  const missing = candidates.filter((c) => !c.embeddingF32 || c.needsUpdate || c.embeddingModel !== ai.embeddingModel)
  const vectors = new Map<string, Float32Array>()
  const missingIds = new Set(missing.map((c) => c.id))
  for (const c of candidates) if (!missingIds.has(c.id)) vectors.set(c.id, decodeFloat32(c.embeddingF32!))
  let designerTokens = 0
  if (missing.length) {
    const out = await ai.embed(missing.map(designerProfileText))
    missing.forEach((c, i) => vectors.set(c.id, toFloat32(out.vectors[i])))
    designerTokens = out.tokens
  }

  const facts = briefFacts(brief)
  const designerFacts = (c: repo.CandidateRow) => ({
    id: c.id,
    firstName: c.firstName,
    categories: c.categories,
    industriesWorked: c.industriesWorked,
    designStyles: c.designStyles,
    rateRange: c.rateRange,
    availabilityStatus: c.availabilityStatus,
  })
  const cosines = new Map(candidates.map((c) => [c.id, cosine(briefVector, vectors.get(c.id)!)]))
  // Ranking needs only the values; the explained factors are built for the kept few below.
  const top = rankByRaw(candidates, (c) => rawScoreFor(facts, designerFacts(c), cosines.get(c.id)!), TOP_N)

  // Shared words only change the semantic reason, never a value: the scores stay as ranked.
  const results = top.map(({ candidate: c }) => {
    const s = score(
      factorsFor(facts, designerFacts(c), {
        cosine: cosines.get(c.id)!,
        shared: sharedWords(text, designerProfileText(c)),
        model: ai.embeddingModel,
      }),
      SCORE_RANGE,
    )
    const reasons = strongestFactors(s.factors, 3).map((f) => f.reason)
    return { c, s, reasons }
  })

  const messages = await Promise.all(
    results.map(({ c, s, reasons }) =>
      ai.complete({
        system: SYSTEM_PROMPT,
        prompt: [
          `${c.firstName}${c.professionalTitle ? `, ${c.professionalTitle},` : ''} is a ${s.score >= 75 ? 'strong' : 'good'} fit for "${brief.projectTitle ?? brief.projectType}"`,
          ...reasons.map((r) => `- ${r.charAt(0).toLowerCase()}${r.slice(1)}`),
        ].join('\n'),
        maxTokens: 120,
      }),
    ),
  )

  const processingTime = Math.round(performance.now() - started)
  // A run can be computed again: its commit need not wait for the disk.
  const saved = await withUser(platform.db.kysely, claims, async (tx) => {
    await asynchronousCommit(tx)
    return withDesigners(
      tx,
      claims,
      await repo.saveMatchRun(tx, {
        clientId: brief.clientId,
        briefId,
        matchVersion: ENGINE_VERSION,
        aiProvider: ai.name,
        processingTime,
        createdAt: now,
        expiresAt: addMs(now, MATCH_TTL_MS),
        cacheExpiresAt: addMs(now, CACHE_TTL_MS),
        briefEmbedding: reuse
          ? null
          : { embeddingF32: encodeFloat32(briefVector), textHash: hash, modelVersion: ai.embeddingModel, tokens: briefTokens },
        matches: results.map(({ s, reasons, c }, i) => ({
          designerId: c.id,
          score: s.score,
          reasons,
          aiMessage: messages[i].text,
          tokensUsed: messages[i].tokens,
          aiAnalysis: {
            ...explain(s, SCORE_RANGE),
            rank: i + 1,
            briefKey: key,
            embeddingModel: ai.embeddingModel,
            textModel: ai.textModel,
            candidates: { considered: candidates.length, preRankLimit: CANDIDATE_LIMIT, embeddedNow: missing.length },
            tokens: { message: messages[i].tokens, briefEmbedding: briefTokens, designerEmbeddings: designerTokens },
          },
        })),
      }),
    )
  })
  return { briefId, cached: false, candidatesConsidered: candidates.length, matches: saved }
}

export async function listMatches(platform: Platform, claims: Claims, briefId: string): Promise<MatchView[]> {
  return withUser(platform.db.kysely, claims, async (tx) => {
    await loadOwnBrief(tx, briefId, platform.clock.now())
    return withDesigners(tx, claims, await repo.listBriefMatches(tx, briefId))
  })
}

export async function getMatch(platform: Platform, claims: Claims, matchId: string): Promise<MatchView> {
  const [view] = await withUser(platform.db.kysely, claims, async (tx) => {
    const row = await repo.findMatch(tx, matchId)
    return row ? withDesigners(tx, claims, [row]) : []
  })
  if (!view) throw notFound('Match', { matchId })
  return view
}

export interface MatchExplanation extends Explanation {
  matchId: string
  storedScore: number
  recomputedScore: number
  aiProvider: string
  matchVersion: string
}

export async function explainMatch(platform: Platform, claims: Claims, matchId: string): Promise<MatchExplanation> {
  const row = await withUser(platform.db.kysely, claims, (tx) => repo.findMatch(tx, matchId, true))
  if (!row) throw notFound('Match', { matchId })
  const a = row.aiAnalysis as Partial<Explanation> | null
  if (!a || !Array.isArray(a.factors) || !a.range)
    throw new AppError('unprocessable', 'This match was stored without an explanation (made before the engine recorded factors)')
  return {
    matchId: row.id,
    engineVersion: a.engineVersion ?? row.matchVersion ?? 'unknown',
    formula: a.formula ?? '',
    range: a.range,
    factors: a.factors,
    raw: a.raw ?? 0,
    score: row.score,
    storedScore: row.score,
    recomputedScore: recompute({ factors: a.factors, range: a.range }),
    aiProvider: row.aiProvider,
    matchVersion: row.matchVersion,
  }
}
