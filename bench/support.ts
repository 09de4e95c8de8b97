// Shared by benchmarks: a seeded random generator, timing and percentile summaries, and a
// throwaway database (a fresh one on the server named by DATABASE_URL, or in-memory PGlite).
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Config } from '../src/platform/config'
import { openDatabase, type Database } from '../src/platform/db/database'

/** mulberry32: small, fast, reproducible. */
export function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
    some: <T>(xs: readonly T[], min: number, max: number) => {
      const n = min + Math.floor(next() * (max - min + 1))
      const pool = [...xs]
      const out: T[] = []
      while (out.length < n && pool.length) out.push(pool.splice(Math.floor(next() * pool.length), 1)[0])
      return out
    },
  }
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now()
  const out = await fn()
  return [performance.now() - t0, out]
}

export interface Summary {
  n: number
  mean: number
  p50: number
  p95: number
  max: number
}

export function summarize(ms: number[]): Summary {
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1] }
}

export const fmt = (x: number) => `${x.toFixed(2)} ms`

export function machine() {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

export interface BenchDatabase {
  db: Database
  driver: 'postgres' | 'pglite'
  name: string
  /** The database's URL on a server; undefined on PGlite. */
  url?: string
  drop(): Promise<void>
  /** Closes connections and leaves the database in place, for inspection. */
  keep(): Promise<void>
}

/** A fresh database: created on the DATABASE_URL server (and dropped after), or in-memory PGlite. */
export async function benchDatabase(config: Config): Promise<BenchDatabase> {
  if (!config.DATABASE_URL) {
    const db = await openDatabase(config, { dataDir: 'memory://' })
    return { db, driver: 'pglite', name: 'memory://', drop: () => db.close(), keep: () => db.close() }
  }
  const name = `mb_bench_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: config.DATABASE_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(config.DATABASE_URL)
  url.pathname = `/${name}`
  const db = await openDatabase(config, { url: url.toString() })
  return {
    db,
    driver: 'postgres',
    name,
    url: url.toString(),
    async drop() {
      await db.close().catch(() => {})
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
    async keep() {
      await db.close().catch(() => {})
      await admin.end()
    },
  }
}

/** Drops a bench database that bench code left in place (BenchDatabase.keep). */
export async function dropDatabase(serverUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)
  } finally {
    await admin.end()
  }
}

export interface Child {
  proc: ChildProcess
  port: number
  ask<T>(type: string): Promise<T>
  stop(): Promise<void>
}

/** Forks a bench script (with tsx) that answers over IPC: 'ready' with its port, then asks. */
export function startChild(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Child> {
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...nodeArgs],
    env,
    // The API logs at its configured level as in production; the lines go nowhere.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== type) return
        proc.off('message', on)
        resolve(m as T)
      }
      proc.on('message', on)
      proc.send({ type })
    })
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    proc.on('message', (m: { type: string; port: number }) => {
      if (m.type === 'ready')
        resolve({
          proc,
          port: m.port,
          ask,
          stop: () =>
            new Promise<void>((done) => {
              proc.removeAllListeners('exit')
              proc.once('exit', () => done())
              proc.send({ type: 'stop' })
              setTimeout(() => proc.kill('SIGKILL'), 10_000).unref()
            }),
        })
    })
  })
}
