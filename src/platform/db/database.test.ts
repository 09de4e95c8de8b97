import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../test/support/test-env'
import { fromPostgresError, isConnectionError } from '../http/errors'

const waitFor = async (check: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('database', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('delivers NOTIFY to listeners, on commit only', async () => {
    const got: string[] = []
    const stop = await env.platform.db.listen('db_test', (p) => got.push(p))
    await env.platform.db.kysely.transaction().execute(async (tx) => {
      await sql`select pg_notify('db_test', 'committed')`.execute(tx)
    })
    await env.platform.db.kysely
      .transaction()
      .execute(async (tx) => {
        await sql`select pg_notify('db_test', 'rolled back')`.execute(tx)
        throw new Error('rollback')
      })
      .catch(() => {})
    await waitFor(() => got.length > 0)
    await new Promise((r) => setTimeout(r, 100))
    expect(got).toEqual(['committed'])
    await stop()
  })
})

// Killing a backend needs a server; PGlite has one session and no other backends.
describeOnServer('database on a server', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('listens again after its LISTEN connection is killed', async () => {
    const got: string[] = []
    await env.platform.db.listen('db_reconnect', (p) => got.push(p))
    const killed = await sql<{ n: number }>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`.execute(env.platform.db.kysely)
    expect(killed.rows[0].n).toBe(1)
    await waitFor(() => {
      void sql`select pg_notify('db_reconnect', 'after')`.execute(env.platform.db.kysely)
      return got.includes('after')
    })
    expect(got).toContain('after')
  })
})

describeOnServer('database on a server, losing a connection mid-transaction', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  // Regression (test/faults): a checked-out client whose server went away emitted an unhandled
  // 'error', an uncaught exception that would end the process.
  it('fails the transaction as unavailable without an uncaught error, and the pool serves again', async () => {
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    try {
      const err = await env.platform.db.kysely
        .transaction()
        .execute(async (tx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)
          // Killed from another session while this one sits idle in its transaction.
          await sql`select pg_terminate_backend(${rows[0].pid})`.execute(env.platform.db.kysely)
          await new Promise((r) => setTimeout(r, 200))
          await sql`select 1`.execute(tx)
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(err).toBeDefined()
      const appError = fromPostgresError(err as { code?: string }) ?? (isConnectionError(err) ? 'unavailable' : err)
      expect(appError === 'unavailable' || (appError as { code?: string }).code === 'unavailable').toBe(true)
      await new Promise((r) => setTimeout(r, 50))
      expect(uncaught).toEqual([])
      const { rows } = await sql<{ n: number }>`select 1 as n`.execute(env.platform.db.kysely)
      expect(rows[0].n).toBe(1)
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})

// A frozen server (SIGSTOP on our backend) keeps the connection open but never answers: only the
// client-side query_timeout ends the wait. Needs a server backend to freeze, and root to signal it.
describeOnServer('database on a server that stops answering', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv({ config: { DATABASE_STATEMENT_TIMEOUT_MS: '200' } })
  })
  afterAll(() => env.close())

  it.runIf(process.getuid?.() === 0)(
    'gives up after statement timeout + 5 s and maps it to 504 timeout',
    async () => {
      const client = await env.platform.db.pool.connect()
      const { rows } = await client.query('select pg_backend_pid() as pid')
      const pid = rows[0].pid as number
      process.kill(pid, 'SIGSTOP')
      const started = Date.now()
      try {
        const err = await client.query('select 1').catch((e) => e)
        const waited = Date.now() - started
        expect(String(err?.message)).toMatch(/Query read timeout/)
        expect(waited).toBeGreaterThanOrEqual(5_000)
        expect(waited).toBeLessThan(8_000)
      } finally {
        process.kill(pid, 'SIGCONT')
        client.release(true)
      }
    },
    15_000,
  )
})
