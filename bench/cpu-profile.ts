// A V8 CPU profile's top entries by self time, by function and by package (or "matchbase" for
// our own files). Used by bench/profile-read.ts; on its own it reads .cpuprofile files, e.g. from
// `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/onedesigner-match.ts`:
//
//   npx tsx bench/cpu-profile.ts FILE.cpuprofile [--top 25]
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

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

export function printTop(top: ReturnType<typeof topEntries>, n: number) {
  console.log(`\nSelf time by package (${top.seconds.toFixed(1)} s sampled):`)
  for (const p of top.packages.slice(0, 12)) console.log(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`)
  console.log(`\nTop ${n} functions by self time:`)
  for (const f of top.functions.slice(0, n)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true })
  for (const file of positionals) {
    console.log(file)
    printTop(topEntries(JSON.parse(fs.readFileSync(file, 'utf8'))), Number(values.top))
  }
}
