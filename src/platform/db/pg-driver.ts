// Kysely's Postgres dialect over a pg Pool, with one change to its driver: a transaction's BEGIN
// is not a round trip of its own. It waits and travels in front of the transaction's first
// statement, in the same message ("begin;\n<statement>", the simple query protocol), when that
// statement has no parameters; otherwise it goes first, as before. withUser's claims statement
// has none (src/platform/db/with-user.ts), so a user request's transaction costs one round trip
// less: BEGIN + claims, the queries, COMMIT.
//
// Why: on the GET /briefs/:id bench each round trip to Postgres is a socket write and read in
// Node and a protocol cycle in Postgres, the largest cost left per request (docs/benchmarks.md,
// "Load and soak"). Otherwise it behaves as Kysely's PostgresDriver (kysely 0.28): a COMMIT that
// Postgres answers with ROLLBACK throws AbortedTransactionError, and a connection whose ROLLBACK
// failed is discarded rather than handed out again. A transaction that ran no statement sends
// nothing at all. Streaming (cursors) is not configured here, as before.
import pg from 'pg'
import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

class Connection implements DatabaseConnection {
  /** A BEGIN not yet sent: it goes with the next statement. */
  pendingBegin: string | null = null
  discarded = false
  constructor(readonly client: pg.PoolClient) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) throw new Error('Postgres connection has been discarded')
    let text = query.sql
    if (this.pendingBegin !== null) {
      const begin = this.pendingBegin
      this.pendingBegin = null
      if (query.parameters.length === 0) text = `${begin};\n${text}`
      else await this.client.query(begin)
    }
    // Several statements in one message answer with one result each; the last is the caller's.
    const answer = (await this.client.query(text, [...query.parameters])) as pg.QueryResult | pg.QueryResult[]
    const { command, rowCount, rows } = Array.isArray(answer) ? answer[answer.length - 1] : answer
    if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command }] as R[] }
    return {
      numAffectedRows: ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(command) ? BigInt(rowCount ?? 0) : undefined,
      rows: (rows ?? []) as R[],
    }
  }

  // biome-ignore lint/correctness/useYield: Kysely's interface wants a generator; this one only refuses
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("'cursor' is not present in the postgres dialect config; streaming is not set up")
  }
}

class LazyBeginDriver implements Driver {
  #pool: pg.Pool | undefined
  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  async init() {}

  async acquireConnection(): Promise<Connection> {
    const pool = this.#pool
    if (!pool) throw new Error('driver has already been destroyed')
    const client = await pool.connect()
    if (!this.#pool) {
      client.release()
      throw new Error('driver has already been destroyed')
    }
    return new Connection(client)
  }

  async beginTransaction(connection: Connection, settings: TransactionSettings) {
    let begin = 'begin'
    if (settings.isolationLevel || settings.accessMode) {
      begin = 'start transaction'
      if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`
      if (settings.accessMode) begin += ` ${settings.accessMode}`
    }
    connection.pendingBegin = begin
  }

  async commitTransaction(connection: Connection) {
    if (connection.pendingBegin !== null) {
      connection.pendingBegin = null // nothing ran, nothing to commit
      return
    }
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'))
    // PostgreSQL completes COMMIT with a ROLLBACK tag if an earlier statement error left the
    // transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError()
  }

  async rollbackTransaction(connection: Connection) {
    if (connection.pendingBegin !== null) {
      connection.pendingBegin = null
      return
    }
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'))
    } catch (err) {
      connection.discarded = true
      throw err
    }
  }

  // Savepoints (Kysely's controlled transactions), quoted as Kysely quotes them.
  async savepoint(connection: Connection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${pg.escapeIdentifier(name)}`))
  }

  async rollbackToSavepoint(connection: Connection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${pg.escapeIdentifier(name)}`))
  }

  async releaseSavepoint(connection: Connection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release ${pg.escapeIdentifier(name)}`))
  }

  async releaseConnection(connection: Connection) {
    // A connection left inside a transaction (a BEGIN that went with a failed first statement
    // and no ROLLBACK) cannot happen: Kysely rolls back before it releases.
    connection.client.release(connection.discarded)
  }

  async destroy() {
    const pool = this.#pool
    this.#pool = undefined
    await pool?.end()
  }
}

/** PostgresDialect whose driver sends BEGIN with the transaction's first statement. */
export class MatchbaseDialect extends PostgresDialect {
  readonly #pool: pg.Pool
  constructor(pool: pg.Pool) {
    super({ pool })
    this.#pool = pool
  }

  override createDriver(): Driver {
    return new LazyBeginDriver(this.#pool)
  }
}
