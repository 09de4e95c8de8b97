// OneDesigner match latency.   npx tsx bench/onedesigner-match.ts [--designers N] [--briefs N]
// Seeds designers with embeddings (10,000 on the server named by DATABASE_URL, in a throwaway
// database; 2,000 on in-memory PGlite otherwise), then for each brief times, interleaved:
//   raw      the candidate query as plain SQL on the pg pool (owner role, no RLS, no transaction)
//   app      the same query through the app: withUser (RLS as the client) + Kysely
//   match    POST /v1/onedesigner/briefs/:id/matches through Fastify (cache miss: full compute,
//            AI message, writes)
//   cached   the same POST again (served from match_cache)
import os from 'node:os'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { loadConfig } from '../src/platform/config'
import { createPlatform } from '../src/platform/platform'
import { buildHttp } from '../src/platform/http/server'
import { migrateUp } from '../src/platform/migrate/migrator'
import { migrationSources } from '../src/server'
import { withUser } from '../src/platform/db/with-user'
import { onedesigner } from '../src/apps/onedesigner'
import { BUDGETS, CATEGORIES, INDUSTRIES, RATE_RANGES, STYLES, TIMELINES } from '../src/apps/onedesigner/catalog'
import { candidateSql, findCandidates, type CandidateQuery } from '../src/apps/onedesigner/matching/repository'
import { ratesFittingBudget } from '../src/apps/onedesigner/matching/factors'
import { CANDIDATE_LIMIT } from '../src/apps/onedesigner/matching/service'
import { designerProfileText } from '../src/apps/onedesigner/matching/embeddings'
import { benchDatabase, fmt, machine, rng, summarize, timed } from './support'

const { values: args } = parseArgs({
  options: { designers: { type: 'string' }, briefs: { type: 'string' }, warmup: { type: 'string' }, keep: { type: 'boolean' } },
})
const config = loadConfig({
  ...process.env,
  LOG_LEVEL: 'silent',
  JOBS_ENABLED: 'false',
  SEED_DEMO: 'false',
  NODE_ENV: 'test',
  USER_RATE_LIMIT_FACTOR: '0',
})
const onServer = !!config.DATABASE_URL
const N = Number(args.designers ?? (onServer ? 10_000 : 2_000))
const BRIEFS = Number(args.briefs ?? 100)
const WARMUP = Number(args.warmup ?? 20)
const r = rng(20250101)

const FIRST = ['Ada', 'Bea', 'Cyd', 'Dee', 'Eli', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jo', 'Kai', 'Lu', 'Mo', 'Ned', 'Oz', 'Pia']
const TITLES = [
  'Brand Designer',
  'Product Designer',
  'Illustrator',
  'Motion Designer',
  'Art Director',
  'Visual Designer',
  'Packaging Designer',
]
const TOPICS = [
  'logos',
  'brand identity',
  'mobile apps',
  'dashboards',
  'explainer videos',
  'packaging',
  'pitch decks',
  'editorial illustration',
  'social campaigns',
  'websites',
]
const TOOLS = ['figma', 'illustrator', 'photoshop', 'after effects', 'blender', 'procreate', 'indesign', 'sketch']

async function main() {
  const bench = await benchDatabase(config)
  const platform = await createPlatform(config, { db: bench.db })
  const log = (s: string) => console.log(s)
  try {
    log(`OneDesigner match benchmark: ${bench.driver}, ${N} designers, ${BRIEFS} briefs; ${machine()}; ${new Date().toISOString()}`)
    log(`load average at start: ${loadavg()}`)
    await migrateUp(platform.db.kysely, migrationSources([onedesigner]))
    const db = platform.db.kysely

    // Designers: bulk multi-row inserts; then embeddings through the platform's provider.
    const [seedMs] = await timed(async () => {
      const CHUNK = 1_000
      for (let i = 0; i < N; i += CHUNK) {
        const rows = Array.from({ length: Math.min(CHUNK, N - i) }, (_, k) => {
          const n = i + k
          const topics = r.some(TOPICS, 1, 3)
          return {
            email: `bench-designer-${n}@example.test`,
            firstName: r.pick(FIRST),
            lastName: `Designer${n}`,
            professionalTitle: r.pick(TITLES),
            bio: `I design ${topics.join(', ')} for ${r.pick(INDUSTRIES).replace('-', ' ')} teams, ${2 + r.int(15)} years.`,
            categories: r.some(CATEGORIES, 1, 3),
            industriesWorked: r.some(INDUSTRIES, 1, 3),
            designStyles: r.some(STYLES, 1, 3),
            tools: r.some(TOOLS, 1, 3),
            skills: topics,
            rateRange: r.pick(Object.keys(RATE_RANGES)),
            availabilityStatus: r.next() < 0.8 ? 'available' : r.pick(['busy', 'unavailable']),
            isApproved: r.next() < 0.9,
            isVerified: true,
          }
        })
        const ids = await db.insertInto('onedesigner.designers').values(rows).returning('id').execute()
        const { vectors } = await platform.ai.embed(rows.map(designerProfileText))
        await db
          .insertInto('onedesigner.designerEmbeddings')
          .values(ids.map((d, j) => ({ designerId: d.id, embedding: vectors[j], modelVersion: platform.ai.embeddingModel })))
          .execute()
      }
      await sql`analyze onedesigner.designers`.execute(db)
      await sql`analyze onedesigner.designer_embeddings`.execute(db)
      await sql`analyze onedesigner.designer_match_facets`.execute(db)
    })
    log(`seeded ${N} designers with embeddings in ${(seedMs / 1000).toFixed(1)} s`)

    // Clients and briefs.
    const total = BRIEFS + WARMUP
    const clientRows = Array.from({ length: total }, (_, i) => ({
      email: `bench-client-${i}@example.test`,
      firstName: 'Casey',
      lastName: `Client${i}`,
    }))
    const clients = await db.insertInto('onedesigner.clients').values(clientRows).returning('id').execute()
    const briefRows = clients.map((c) => {
      const type = r.pick(CATEGORIES)
      return {
        clientId: c.id,
        projectType: type,
        industry: r.pick(INDUSTRIES),
        budget: r.pick(Object.keys(BUDGETS)),
        timeline: r.pick(Object.keys(TIMELINES)),
        styles: r.some(STYLES, 1, 2),
        projectTitle: `Project ${r.pick(TOPICS)}`,
        projectDescription: `We need ${r.some(TOPICS, 1, 2).join(' and ')} with a ${r.pick(STYLES)} look for our ${r.pick(INDUSTRIES)} company.`,
      }
    })
    const briefs = await db.insertInto('onedesigner.briefs').values(briefRows).returning(['id', 'clientId']).execute()
    const http = await buildHttp(platform, [onedesigner], { docs: false })
    await http.ready()

    const runs = { raw: [] as number[], app: [] as number[], match: [] as number[], cached: [] as number[] }
    const candidates: number[] = []
    for (let i = 0; i < briefs.length; i++) {
      const b = briefs[i]
      const row = briefRows[i]
      const claims = { sub: b.clientId!, role: 'client', app: 'onedesigner' }
      const token = await platform.tokens.sign(claims)
      const q: CandidateQuery = {
        projectType: row.projectType,
        industry: row.industry,
        styles: row.styles,
        fittingRates: ratesFittingBudget(row.budget),
        limit: CANDIDATE_LIMIT,
      }
      const compiled = candidateSql(q).compile(db)
      const [rawMs, raw] = await timed(() => platform.db.pool.query(compiled.sql, compiled.parameters as unknown[]))
      const [appMs, app] = await timed(() => withUser(db, claims, (tx) => findCandidates(tx, q)))
      if (raw.rows.length !== app.length) throw new Error(`raw SQL found ${raw.rows.length} candidates, the app ${app.length}`)
      const post = () =>
        http.inject({ method: 'POST', url: `/v1/onedesigner/briefs/${b.id}/matches`, headers: { authorization: `Bearer ${token}` } })
      const [matchMs, res] = await timed(post)
      if (res.statusCode !== 200) throw new Error(`match failed: ${res.statusCode} ${res.body}`)
      const [cachedMs, again] = await timed(post)
      if (!again.json().cached) throw new Error('second request was not served from the cache')
      if (i < WARMUP) continue
      runs.raw.push(rawMs)
      runs.app.push(appMs)
      runs.match.push(matchMs)
      runs.cached.push(cachedMs)
      candidates.push(res.json().candidatesConsidered)
    }
    await http.close()

    const s = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summarize(v)])) as Record<
      keyof typeof runs,
      ReturnType<typeof summarize>
    >
    log(
      `candidates per brief after pre-rank: mean ${(candidates.reduce((a, b) => a + b, 0) / candidates.length).toFixed(0)} (limit ${CANDIDATE_LIMIT})`,
    )
    log('')
    log(`load average at end: ${loadavg()}`)
    log('')
    log('| measure | p50 | p95 | mean | max | / raw p50 | / raw p95 |')
    log('|---|---|---|---|---|---|---|')
    const label = {
      raw: 'candidate query, raw SQL (pg)',
      app: 'candidate query, app (withUser + Kysely)',
      match: 'POST /briefs/:id/matches (compute)',
      cached: 'POST /briefs/:id/matches (cached)',
    }
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`
    for (const k of Object.keys(runs) as (keyof typeof runs)[])
      log(
        `| ${label[k]} | ${fmt(s[k].p50)} | ${fmt(s[k].p95)} | ${fmt(s[k].mean)} | ${fmt(s[k].max)} | ${x(s[k].p50, s.raw.p50)} | ${x(s[k].p95, s.raw.p95)} |`,
      )
    log('')
    log(
      `app / raw:   p50 ${x(s.app.p50, s.raw.p50)}, p95 ${x(s.app.p95, s.raw.p95)}   (raw / app: p50 ${x(s.raw.p50, s.app.p50)}, p95 ${x(s.raw.p95, s.app.p95)})`,
    )
    log(
      `match / raw: p50 ${x(s.match.p50, s.raw.p50)}, p95 ${x(s.match.p95, s.raw.p95)}   (raw / match: p50 ${x(s.raw.p50, s.match.p50)}, p95 ${x(s.raw.p95, s.match.p95)})`,
    )
    log(
      `match - raw: p50 ${fmt(s.match.p50 - s.raw.p50)}, p95 ${fmt(s.match.p95 - s.raw.p95)} (what the request adds to the candidate query)`,
    )
    const applies = onServer && N >= 10_000 ? '' : ' (for reference: the targets are for server Postgres at 10,000 designers)'
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met')
    log(`targets${applies}:`)
    log(`  match p95 < 50 ms: ${verdict(s.match.p95 < 50)} (${fmt(s.match.p95)})`)
    log(`  app candidate query p95 within 1.5x of raw: ${verdict(s.app.p95 / s.raw.p95 <= 1.5)} (${x(s.app.p95, s.raw.p95)})`)
    log(`  match p95 within 1.5x of raw: ${verdict(s.match.p95 / s.raw.p95 <= 1.5)} (${x(s.match.p95, s.raw.p95)})`)
  } finally {
    await platform.close().catch(() => {})
    if (args.keep) {
      log(`kept the database: ${bench.name}`)
      await bench.keep().catch(() => {})
    } else await bench.drop().catch(() => {})
  }
}

function loadavg() {
  return (
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ') + ` (1, 5, 15 min; ${os.cpus().length} cores)`
  )
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
