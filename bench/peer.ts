// An authenticated read by id, Matchbase beside the floors and the peer, in the same runs:
// the shared peer benchmark (../shared/bench/peer/run.sh: plain Fastify + pg, the one-round-trip
// RLS floor "rls-one", the three-round-trip floor, PostGraphile under RLS) once per Matchbase
// target, each target measured in the same run as the floors it is compared with.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/peer.ts \
//       [--rows 10000] [--secs 8] [--rounds 2] [--peer ../shared/bench/peer/run.sh] [--only brief]
//
// Targets: a OneDesigner brief (its client's token), a OneDesigner designer (a client's token),
// a Bandsy profile by username (a musician's token), each from a table of --rows rows, on a
// throwaway database beside the one DATABASE_URL names. The API runs in a child process as
// production would (jobs off, LOG_LEVEL=warn). Targets: each at least 0.8x rls-one and 3x
// PostGraphile (issue 11). Exit code 1 when a target is missed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { Command } from 'commander'
import { sql } from 'kysely'
import { loadConfig } from '../src/platform/config'
import { createPlatform } from '../src/platform/platform'
import { migrateUp } from '../src/platform/migrate/migrator'
import { migrationSources, selectApps } from '../src/server'
import { benchDatabase, machine, startChild } from './support'

const program = new Command()
  .option('--rows <n>', 'rows in each table read by id', '10000')
  .option('--secs <s>', 'seconds per target and round', '8')
  .option('--rounds <n>', 'rounds per run', '2')
  .option('--peer <file>', 'the shared peer benchmark', '../shared/bench/peer/run.sh')
  .option('--only <target>', 'one target: brief, designer or profile')
  .parse()
const opts = program.opts<{ rows: string; secs: string; rounds: string; peer: string; only?: string }>()
const rows = Number(opts.rows)

interface Measurement {
  name: string
  rps: number
  p50: number
  p99: number
  bad: number
}

async function main() {
  const config = loadConfig({ NODE_ENV: 'development', ...process.env, JOBS_ENABLED: 'false', LOG_LEVEL: 'warn' })
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL must name a Postgres server (the peer benchmark runs there)')
  const peer = path.resolve(opts.peer)
  if (!fs.existsSync(peer)) throw new Error(`${opts.peer} not found: pass --peer with the shared peer benchmark's run.sh`)
  console.log(`Authenticated read by id beside the peer benchmark — ${new Date().toISOString()}`)
  console.log(`machine: ${machine()}; load average ${os.loadavg()[0].toFixed(2)}; ${rows} rows per table`)

  const bench = await benchDatabase(config)
  const dbUrl = new URL(config.DATABASE_URL)
  dbUrl.pathname = `/${bench.name}`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-peer-'))
  let api: Awaited<ReturnType<typeof startChild>> | undefined
  let failed = false
  try {
    const apps = selectApps(config)
    const platform = await createPlatform(config, { db: bench.db })
    await migrateUp(platform.db.kysely, migrationSources(apps))
    for (const app of apps) await app.seed?.(platform, { size: rows })
    const db = platform.db.kysely
    const client = await db.selectFrom('onedesigner.clients').select('id').orderBy('email').executeTakeFirstOrThrow()
    await sql`insert into onedesigner.briefs (client_id, project_type, status)
              select ${client.id}, 'branding-logo', 'active' from generate_series(1, ${rows})`.execute(db)
    const musician = await db.selectFrom('bandsy.users').select(['id', 'email']).where('deletedAt', 'is', null).executeTakeFirstOrThrow()
    const clientRow = await db.selectFrom('onedesigner.clients').select('email').where('id', '=', client.id).executeTakeFirstOrThrow()
    const ids = {
      brief: (await db.selectFrom('onedesigner.briefs').select('id').where('clientId', '=', client.id).execute()).map((r) => r.id),
      designer: (await db.selectFrom('onedesigner.designers').select('id').where('isApproved', '=', true).execute()).map((r) => r.id),
      profile: (await db.selectFrom('bandsy.users').select('username').where('deletedAt', 'is', null).execute()).map((r) => r.username),
    }
    const clientToken = await platform.tokens.sign({ sub: client.id, role: 'client', app: 'onedesigner', email: clientRow.email })
    const musicianToken = await platform.tokens.sign({ sub: musician.id, role: 'musician', app: 'bandsy', email: musician.email ?? '' })
    await sql`analyze`.execute(db)
    await platform.close()

    const env = {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      DATABASE_DIRECT_URL: dbUrl.toString(),
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    }
    api = await startChild('./load-api.ts', env)
    const base = `http://127.0.0.1:${api.port}`
    const targets = [
      { name: 'brief', url: `${base}/v1/onedesigner/briefs/{id}`, ids: ids.brief, auth: clientToken },
      { name: 'designer', url: `${base}/v1/onedesigner/designers/{id}`, ids: ids.designer, auth: clientToken },
      { name: 'profile', url: `${base}/v1/bandsy/users/{id}`, ids: ids.profile, auth: musicianToken },
    ].filter((t) => !opts.only || t.name === opts.only)

    const summary: string[] = []
    for (const t of targets) {
      const idsFile = path.join(work, `${t.name}.txt`)
      fs.writeFileSync(idsFile, `${t.ids.join('\n')}\n`)
      console.log(`\n## ${t.name}: GET ${t.url.replace(base, '')} (${t.ids.length} ids), with the floors and PostGraphile`)
      const run = spawnSync('bash', [peer], {
        env: {
          ...process.env,
          SECS: opts.secs,
          ROUNDS: opts.rounds,
          MATCHBASE_URL: t.url,
          MATCHBASE_IDS: idsFile,
          MATCHBASE_AUTH: `Bearer ${t.auth}`,
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const lines = (run.stdout ?? '').trim().split('\n')
      const measured: Measurement[] = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      const mean = (name: string) => {
        const ms = measured.filter((m) => m.name === name)
        return ms.length ? ms.reduce((s, m) => s + m.rps, 0) / ms.length : Number.NaN
      }
      const [plain, one, three, pgl, mb] = ['plain', 'rls-one', 'rls-three', 'pgl-rls', 'matchbase'].map(mean)
      const bad = measured.filter((m) => m.name === 'matchbase').reduce((s, m) => s + m.bad, 0)
      console.log('| server | req/s | vs plain | vs rls-one |\n|---|---|---|---|')
      for (const [name, rps] of [
        ['plain', plain],
        ['rls-one', one],
        ['rls-three', three],
        ['PostGraphile (RLS)', pgl],
        [`Matchbase ${t.name}`, mb],
      ] as const)
        console.log(`| ${name} | ${Math.round(rps)} | ${(rps / plain).toFixed(2)}x | ${(rps / one).toFixed(2)}x |`)
      const vsOne = mb / one
      const vsPgl = mb / pgl
      const ok = vsOne >= 0.8 && vsPgl >= 3 && bad === 0
      if (!ok) failed = true
      summary.push(
        `${t.name.padEnd(9)} ${Math.round(mb)} req/s: ${vsOne.toFixed(2)}x rls-one (target 0.8x), ${vsPgl.toFixed(2)}x PostGraphile (target 3x)` +
          `${bad ? `, ${bad} non-2xx` : ''}: ${ok ? 'met' : 'NOT MET'}`,
      )
    }
    console.log(`\n${summary.join('\n')}`)
  } finally {
    await api?.stop()
    await bench.drop()
    fs.rmSync(work, { recursive: true, force: true })
  }
  process.exitCode = failed ? 1 : 0
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
