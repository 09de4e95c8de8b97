// Balance moves. The balance column's platform.track_balance trigger writes the ledger row in
// the same transaction from the reason set here, so no code path can move credits silently.
import { sql } from 'kysely'
import { AppError } from '../http/errors'
import type { Ledger, BalanceMove } from './types'
import type { Tx } from '../db/database'

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/

export const ledger: Ledger = {
  async move(tx: Tx, m: BalanceMove) {
    if (!IDENT.test(m.table) || !IDENT.test(m.column)) throw new Error(`ledger: bad identifier ${m.table}.${m.column}`)
    if (!Number.isInteger(m.delta) || m.delta === 0) throw new Error('ledger: delta must be a non-zero integer')
    await sql`select set_config('ledger.reason', ${m.reason}, true), set_config('ledger.reference', ${m.reference ?? ''}, true)`.execute(tx)
    const col = sql.ref(m.column)
    // The WHERE re-check runs after the row lock, so concurrent spends cannot go below zero.
    const { rows } = await sql<{ balance: number }>`
      update ${sql.table(m.table)} set ${col} = ${col} + ${m.delta}
      where id = ${m.accountId} and ${col} + ${m.delta} >= 0
      returning ${col} as balance`.execute(tx)
    if (rows.length === 0) {
      const exists = await sql`select 1 from ${sql.table(m.table)} where id = ${m.accountId}`.execute(tx)
      if (exists.rows.length === 0) throw new AppError('not_found', 'Account not found')
      throw new AppError('insufficient_credits', `Not enough credits: this needs ${-m.delta}`, { needed: -m.delta })
    }
    return rows[0].balance
  },
}
