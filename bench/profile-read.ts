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
import { briefReads, cannon, describeLoad, prepareWork } from './load-workload'
import { loadConfig } from '../src/platform/config'

const program = new Command()
  .option('--seconds <s>', 'seconds of load while profiling', '20')
  .option('--connections <n>', 'autocannon connections', '20')
  .option('--top <n>', 'entries to print', '25')
  .option('--keep-profile <dir>', 'copy the .cpuprofile there (open it in Chrome DevTools)')
  .parse()
const opts = program.opts<{ seconds: string; connections: string; top: string; keepProfile?: string }>()

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function and per package (or "matchbase" for our own files), in percent. */
export function topEntries(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fns = new Map<string, number>()
  const packages = new Map<string, number>()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const file = url.replace(/^file:\/\//, '')
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (file.includes('/src/') ? 'matchbase' : file ? 'node' : '(v8)')
    const where = file ? `${pkg === 'matchbase' ? file.slice(file.indexOf('/src/') + 1) : path.basename(file)}:${lineNumber + 1}` : ''
    const key = `${functionName || '(anonymous)'} ${where}`.trim()
    fns.set(key, (fns.get(key) ?? 0) + us)
    packages.set(pkg, (packages.get(pkg) ?? 0) + us)
  }
  const pct = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ name: k, percent: (100 * us) / total }))
  return { functions: pct(fns), packages: pct(packages), seconds: total / 1e6 }
}

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
  const top = topEntries(JSON.parse(fs.readFileSync(profileFile, 'utf8')))
  const n = Number(opts.top)
  console.log(`\nSelf time by package (${top.seconds.toFixed(1)} s sampled):`)
  for (const p of top.packages.slice(0, 12)) console.log(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`)
  console.log(`\nTop ${n} functions by self time:`)
  for (const f of top.functions.slice(0, n)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`)
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
