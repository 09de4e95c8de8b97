// Where an authenticated read spends its CPU: the API (bench/load-api.ts, demo data) under
// autocannon on GET /v1/onedesigner/briefs/:id, with a V8 CPU profile of the measured load only
// (the inspector's Profiler, started and stopped over IPC), then the profile's top entries by self
// time, grouped by function and by package.
//
//   DATABASE_URL=postgres://... npx tsx bench/profile-read.ts [--seconds 20] [--top 25] [--keep-profile DIR]
//   npx tsx bench/profile-read.ts            # in-memory PGlite
//
// Self time is where the CPU was when sampled; "(idle)" and "(program)" are the event loop
// waiting and V8 itself. Compare the shares before and after a change (docs/benchmarks.md).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { benchDatabase, dropDatabase, machine, startChild } from './support'
import { printTop, topEntries } from './cpu-profile'
import { briefReads, cannon, describeLoad, prepareWork } from './load-workload'
import { loadConfig } from '../src/platform/config'

const program = new Command()
  .option('--seconds <s>', 'seconds of load while profiling', '20')
  .option('--connections <n>', 'autocannon connections', '20')
  .option('--top <n>', 'entries to print', '25')
  .option('--keep-profile <dir>', 'copy the .cpuprofile there (open it in Chrome DevTools)')
  .parse()
const opts = program.opts<{ seconds: string; connections: string; top: string; keepProfile?: string }>()

async function main() {
  const config = loadConfig({ NODE_ENV: 'development', ...process.env, JOBS_ENABLED: 'false', LOG_LEVEL: 'warn' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-profile-'))
  const bench = config.DATABASE_URL ? await benchDatabase(config) : undefined
  const env: NodeJS.ProcessEnv = { ...process.env, JOBS_ENABLED: 'false', LOG_LEVEL: 'warn', SEED_DEMO: 'true' }
  if (bench) {
    const u = new URL(config.DATABASE_URL!)
    u.pathname = `/${bench.name}`
    Object.assign(env, { DATABASE_URL: u.toString(), DATABASE_DIRECT_URL: u.toString() })
    await bench.keep() // the API opens it; dropped at the end
  }
  console.log(`CPU profile of GET /briefs/:id — ${new Date().toISOString()}`)
  console.log(`machine: ${machine()}; load average ${os.loadavg()[0].toFixed(2)}; ${bench ? 'Postgres server' : 'in-memory PGlite'}`)
  const profileFile = path.join(dir, 'api.cpuprofile')
  const api = await startChild('./load-api.ts', { ...env, CPU_PROFILE_FILE: profileFile })
  try {
    const base = `http://127.0.0.1:${api.port}`
    const work = await prepareWork(base)
    await cannon({ url: base, requests: briefReads(work), seconds: 3, connections: Number(opts.connections) }) // warm-up
    await api.ask('profile-start')
    const load = await cannon({
      url: base,
      requests: briefReads(work),
      seconds: Number(opts.seconds),
      connections: Number(opts.connections),
    })
    await api.ask('profile-stop')
    console.log(`load: ${describeLoad(load)}`)
  } finally {
    await api.stop()
    if (bench) await dropDatabase(config.DATABASE_URL!, bench.name)
  }
  printTop(topEntries(JSON.parse(fs.readFileSync(profileFile, 'utf8'))), Number(opts.top))
  if (opts.keepProfile) {
    fs.mkdirSync(opts.keepProfile, { recursive: true })
    fs.copyFileSync(profileFile, path.join(opts.keepProfile, `read-${Date.now()}.cpuprofile`))
  }
  fs.rmSync(dir, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
