// Load and soak: the real server under a mixed OneDesigner workload for minutes, then the
// authenticated read GET /briefs/:id against a minimal Fastify + pg floor (bench/load-floor.ts).
//
//   DATABASE_URL=postgres://... npx tsx bench/load-soak.ts [--duration 300] [--warmup 20]
//       [--connections 10] [--read-seconds 20] [--keep]
//   npx tsx bench/load-soak.ts --duration 30      # in-memory PGlite, no floor comparison
//
// On a server it creates a throwaway database beside the one DATABASE_URL names and drops it.
// The API and the floor run in child processes (node --expose-gc), so autocannon does not share
// their event loop and their memory is their own. Exit code 1 when a target is missed.
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Command } from 'commander'
import { loadConfig } from '../src/platform/config'
import { machine, startChild as start, type Child } from './support'
import { briefReads, cannon, describeLoad, mixedRequests, prepareWork, type LoadResult } from './load-workload'

const program = new Command()
  .option('--duration <s>', 'seconds of measured mixed load after warm-up', '300')
  .option('--warmup <s>', 'seconds of mixed load before the memory baseline', '20')
  .option('--connections <n>', 'autocannon connections', '10')
  .option('--read-seconds <s>', 'seconds per GET /briefs/:id round (two rounds each, Matchbase and floor)', '20')
  .option('--keep', 'leave the database in place')
  .parse()
const opts = program.opts<{ duration: string; warmup: string; connections: string; readSeconds: string; keep?: boolean }>()
const duration = Number(opts.duration)
const warmup = Number(opts.warmup)
const connections = Number(opts.connections)
const readSeconds = Number(opts.readSeconds)

interface Memory {
  rss: number
  heapUsed: number
  heapTotal: number
}
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`
const pct = (a: number, b: number) => ((b - a) / a) * 100
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

async function main() {
  const config = loadConfig({ NODE_ENV: 'development', ...process.env })
  const startedAt = new Date()
  const loadAtStart = loadavg()
  let dbUrl: string | undefined
  let admin: pg.Client | undefined
  let dbName: string | undefined
  if (config.DATABASE_URL) {
    dbName = `mb_load_${process.pid}_${randomBytes(3).toString('hex')}`
    admin = new pg.Client({ connectionString: config.DATABASE_URL })
    await admin.connect()
    await admin.query(`create database ${dbName}`)
    const u = new URL(config.DATABASE_URL)
    u.pathname = `/${dbName}`
    dbUrl = u.toString()
  }
  const { DATABASE_URL: _url, DATABASE_DIRECT_URL: _direct, ...rest } = process.env
  // Three demo clients drive the costly routes far past a real user's per-user limits.
  const env: NodeJS.ProcessEnv = {
    ...rest,
    SEED_DEMO: 'true',
    USER_RATE_LIMIT_FACTOR: '0',
    ...(dbUrl ? { DATABASE_URL: dbUrl, DATABASE_DIRECT_URL: dbUrl } : {}),
  }

  const children: Child[] = []
  let failed = false
  try {
    console.log(`Load and soak — ${startedAt.toISOString()}`)
    console.log(`machine: ${machine()}; load average at start ${loadAtStart}`)
    console.log(`database: ${dbUrl ? 'Postgres server (throwaway database)' : 'in-memory PGlite'}; connections ${connections}`)
    const t0 = performance.now()
    const api = await start('./load-api.ts', env)
    children.push(api)
    const base = `http://127.0.0.1:${api.port}`
    console.log(`API up with demo data in ${((performance.now() - t0) / 1000).toFixed(1)} s (log level ${config.LOG_LEVEL})`)
    const work = await prepareWork(base)
    console.log(`signed in ${work.clients.length} clients; ${work.designerIds.length} designers to view`)

    await cannon({ url: base, requests: mixedRequests(work), seconds: warmup, connections })
    const before = await api.ask<Memory>('memory')
    const loadBefore = loadavg()
    const mixed = await cannon({ url: base, requests: mixedRequests(work), seconds: duration, connections })
    const after = await api.ask<Memory>('memory')
    const loadAfter = loadavg()
    console.log(`\nMixed workload (8 endpoints), ${duration} s after ${warmup} s warm-up:\n  ${describeLoad(mixed)}`)
    const rssGrowth = pct(before.rss, after.rss)
    const heapGrowth = pct(before.heapUsed, after.heapUsed)
    console.log(
      `  API memory after GC: RSS ${mb(before.rss)} -> ${mb(after.rss)} (${rssGrowth.toFixed(1)}%), ` +
        `heap used ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} (${heapGrowth.toFixed(1)}%)`,
    )
    console.log(`  load average before/after: ${loadBefore} / ${loadAfter}`)
    const mixedOk = mixed.errors === 0 && mixed.non2xx === 0
    const memOk = rssGrowth < 10 && heapGrowth < 10
    console.log(`  errors 0: ${mixedOk ? 'met' : 'NOT MET'}; memory growth < 10%: ${memOk ? 'met' : 'NOT MET'}`)
    failed ||= !mixedOk || !memOk

    if (dbUrl) {
      const floor = await start('./load-floor.ts', {
        ...env,
        JWT_SECRET: config.JWT_SECRET,
        DATABASE_POOL_MAX: String(config.DATABASE_POOL_MAX),
      })
      children.push(floor)
      const floorBase = `http://127.0.0.1:${floor.port}`
      const rounds: { mb: LoadResult[]; floor: LoadResult[] } = { mb: [], floor: [] }
      // Warm both, then alternate so drift in the machine's load hits both alike.
      await cannon({ url: base, requests: briefReads(work), seconds: 3, connections })
      await cannon({ url: floorBase, requests: briefReads(work, (id) => `/briefs/${id}`), seconds: 3, connections })
      for (let i = 0; i < 2; i++) {
        rounds.mb.push(await cannon({ url: base, requests: briefReads(work), seconds: readSeconds, connections }))
        rounds.floor.push(
          await cannon({ url: floorBase, requests: briefReads(work, (id) => `/briefs/${id}`), seconds: readSeconds, connections }),
        )
      }
      const rps = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.rps, 0) / rs.length
      console.log(`\nGET /briefs/:id, ${rounds.mb.length} × ${readSeconds} s each, alternating:`)
      rounds.mb.forEach((r, i) => console.log(`  Matchbase round ${i + 1}: ${describeLoad(r)}`))
      rounds.floor.forEach((r, i) => console.log(`  floor     round ${i + 1}: ${describeLoad(r)}`))
      const ratio = rps(rounds.mb) / rps(rounds.floor)
      const readOk = [...rounds.mb, ...rounds.floor].every((r) => r.errors === 0 && r.non2xx === 0)
      console.log(
        `  Matchbase ${rps(rounds.mb).toFixed(0)} req/s, floor ${rps(rounds.floor).toFixed(0)} req/s: ratio ${ratio.toFixed(2)}x (target >= 0.8x: ${ratio >= 0.8 ? 'met' : 'NOT MET'})`,
      )
      failed ||= ratio < 0.8 || !readOk
    } else {
      console.log('\n(floor comparison needs DATABASE_URL: the floor server talks to Postgres with pg)')
    }
    console.log(`\nload average at end ${loadavg()}`)
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {})
    if (admin && dbName) {
      if (!opts.keep) await admin.query(`drop database if exists ${dbName} with (force)`)
      else console.log(`kept database ${dbName}`)
      await admin.end()
    }
  }
  process.exit(failed ? 1 : 0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
