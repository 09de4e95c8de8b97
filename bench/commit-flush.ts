// What a durable COMMIT waits for: the WAL flush. Times one-row insert transactions with
// synchronous_commit on (the default) and off (asynchronousCommit, decision 0027), interleaved in
// rounds so both see the same load, on the server named by DATABASE_URL.
//
//   DATABASE_URL=postgres://... npx tsx bench/commit-flush.ts [--commits 300]
import os from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { fmt, machine, summarize } from './support'

const { values: args } = parseArgs({ options: { commits: { type: 'string', default: '300' } } })
const url = process.env.DATABASE_URL
if (!url) {
  console.error('Set DATABASE_URL to a Postgres server (PGlite has no WAL flush to measure)')
  process.exit(1)
}

async function main() {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const table = `commit_flush_${process.pid}`
  await client.query(`create table ${table} (id bigserial primary key, t text)`)
  const times = { on: [] as number[], off: [] as number[] }
  const n = Number(args.commits)
  try {
    for (let i = 0; i < n; i++)
      for (const mode of ['on', 'off'] as const) {
        const t0 = performance.now()
        await client.query(`begin; set local synchronous_commit = ${mode}; insert into ${table} (t) values ('x')`)
        await client.query('commit')
        times[mode].push(performance.now() - t0)
      }
  } finally {
    await client.query(`drop table if exists ${table}`)
    await client.end()
  }
  const on = summarize(times.on)
  const off = summarize(times.off)
  console.log(`commit flush: ${n} commits each; ${machine()}; load average ${os.loadavg()[0].toFixed(2)}; ${new Date().toISOString()}`)
  console.log('| commit | p50 | p95 | mean | / async p50 |')
  console.log('|---|---|---|---|---|')
  console.log(`| durable (synchronous_commit on) | ${fmt(on.p50)} | ${fmt(on.p95)} | ${fmt(on.mean)} | ${(on.p50 / off.p50).toFixed(2)}x |`)
  console.log(`| asynchronous (off) | ${fmt(off.p50)} | ${fmt(off.p95)} | ${fmt(off.mean)} | 1.00x |`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
