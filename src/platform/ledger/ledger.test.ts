import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { aClient } from '../../../test/support/onedesigner'

const account = (id: string, delta: number, reason = 'test') => ({
  table: 'onedesigner.clients',
  column: 'match_credits',
  accountId: id,
  delta,
  reason,
  reference: 'ref-1',
})

describe('ledger', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const entries = (id: string) =>
    env.platform.db.kysely.selectFrom('platform.ledgerEntries').selectAll().where('accountId', '=', id).orderBy('id').execute()

  it('writes one ledger row per movement, in the same transaction, and the rows sum to the balance', async () => {
    const c = await aClient(env.platform, { credits: 2 })
    const db = env.platform.db.kysely
    expect(await db.transaction().execute((tx) => env.platform.ledger.move(tx, account(c.id, 5, 'purchase')))).toBe(7)
    expect(await db.transaction().execute((tx) => env.platform.ledger.move(tx, account(c.id, -3, 'unlock')))).toBe(4)
    const rows = await entries(c.id)
    expect(rows.map((r) => [r.delta, r.balanceAfter, r.reason])).toEqual([
      [2, 2, 'test-grant'],
      [5, 7, 'purchase'],
      [-3, 4, 'unlock'],
    ])
    expect(rows.reduce((s, r) => s + r.delta, 0)).toBe(4)
  })

  it('refuses to go below zero and leaves balance and ledger untouched', async () => {
    const c = await aClient(env.platform, { credits: 1 })
    await expect(
      env.platform.db.kysely.transaction().execute((tx) => env.platform.ledger.move(tx, account(c.id, -2))),
    ).rejects.toMatchObject({
      code: 'insufficient_credits',
      status: 402,
    })
    expect(await entries(c.id)).toHaveLength(1)
  })

  it('rolls the ledger row back with the transaction', async () => {
    const c = await aClient(env.platform, { credits: 0 })
    await expect(
      env.platform.db.kysely.transaction().execute(async (tx) => {
        await env.platform.ledger.move(tx, account(c.id, 3))
        throw new Error('payment record failed')
      }),
    ).rejects.toThrow('payment record failed')
    expect(await entries(c.id)).toHaveLength(0)
  })

  it('refuses a balance change that names no reason, and any edit of the ledger', async () => {
    const c = await aClient(env.platform, { credits: 0 })
    const db = env.platform.db.kysely
    await expect(sql`update onedesigner.clients set match_credits = 100 where id = ${c.id}`.execute(db)).rejects.toThrow(
      /without a ledger reason/,
    )
    await expect(sql`update platform.ledger_entries set delta = 100`.execute(db)).rejects.toThrow(/append-only/)
    await expect(sql`delete from platform.ledger_entries`.execute(db)).rejects.toThrow(/append-only/)
  })
})
