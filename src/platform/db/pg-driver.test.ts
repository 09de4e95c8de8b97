import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAbortedTransactionError, sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { asynchronousCommit, withUser } from './with-user'

// The driver sends a transaction's BEGIN with its first statement (src/platform/db/pg-driver.ts).
describe('Postgres driver: BEGIN with the first statement', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('runs withUser in one transaction, as the user, with the claims set', async () => {
    const claims = { sub: '00000000-0000-0000-0000-000000000001', role: 'client', app: 'onedesigner', note: `it's \\ "quoted"` }
    const got = await withUser(env.platform.db.kysely, claims, async (tx) => {
      const { rows } = await sql<{ role: string; claims: string; xact: string; again: string }>`
        select current_user as role, current_setting('request.claims', true) as claims,
               txid_current()::text as xact, txid_current()::text as again`.execute(tx)
      return rows[0]
    })
    expect(got.role).toBe('matchbase_user')
    expect(JSON.parse(got.claims)).toEqual(claims)
    // Outside the transaction the settings are gone.
    const { rows } = await sql<{ role: string; claims: string | null }>`
      select current_user as role, nullif(current_setting('request.claims', true), '') as claims`.execute(env.platform.db.kysely)
    expect(rows[0].role).not.toBe('matchbase_user')
    expect(rows[0].claims).toBeNull()
  })

  it('asynchronousCommit turns off synchronous_commit for that transaction only, as the user may', async () => {
    const claims = { sub: '00000000-0000-0000-0000-000000000001', role: 'client', app: 'onedesigner' }
    const setting = (relaxed: boolean) =>
      withUser(env.platform.db.kysely, claims, async (tx) => {
        if (relaxed) await asynchronousCommit(tx)
        const { rows } = await sql<{ v: string }>`select current_setting('synchronous_commit') as v`.execute(tx)
        return rows[0].v
      })
    expect(await setting(true)).toBe('off')
    expect(await setting(false)).toBe('on')
  })

  it('rolls back everything when a later statement fails, with the first parameterless', async () => {
    await sql`create table if not exists driver_probe (v text)`.execute(env.platform.db.kysely)
    await expect(
      env.platform.db.kysely.transaction().execute(async (tx) => {
        await sql.raw(`insert into driver_probe values ('merged')`).execute(tx)
        await sql`insert into driver_probe values (${'second'})`.execute(tx)
        await sql`select 1/0`.execute(tx)
      }),
    ).rejects.toThrow(/division by zero/)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from driver_probe`.execute(env.platform.db.kysely)
    expect(rows[0].n).toBe(0)
  })

  it('returns the rows of the statement the BEGIN travelled with', async () => {
    const rows = await env.platform.db.kysely
      .transaction()
      .execute(async (tx) => (await sql.raw<{ x: number }>('select 41 + 1 as x').execute(tx)).rows)
    expect(rows).toEqual([{ x: 42 }])
  })

  it('reports a COMMIT that Postgres turned into ROLLBACK', async () => {
    const err = await env.platform.db.kysely
      .transaction()
      .execute(async (tx) => {
        await sql`select 1/0`.execute(tx).catch(() => {}) // swallowed: the transaction is aborted
      })
      .catch((e: unknown) => e)
    expect(isAbortedTransactionError(err)).toBe(true)
  })

  it('a transaction that runs nothing sends nothing and leaves the connection usable', async () => {
    await env.platform.db.kysely.transaction().execute(async () => 'nothing')
    const { rows } = await sql<{ open: boolean }>`select now() = statement_timestamp() as open`.execute(env.platform.db.kysely)
    expect(rows[0].open).toBe(true) // not inside a leftover transaction
  })
})
