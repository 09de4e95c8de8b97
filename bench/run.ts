// `npm run bench`: runs every benchmark in this folder, one after another, passing arguments on.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const dir = path.dirname(fileURLToPath(import.meta.url))
// load-api.ts is the API child of load-soak.ts and peer.ts, not a benchmark of its own.
const skip = new Set(['run.ts', 'support.ts', 'load-api.ts'])
const scripts = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !skip.has(f))
  .sort()
let failed = 0
for (const script of scripts) {
  console.log(`\n# ${script}`)
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, script), ...process.argv.slice(2)], { stdio: 'inherit' })
  if (res.status !== 0) failed++
}
process.exitCode = failed ? 1 : 0
