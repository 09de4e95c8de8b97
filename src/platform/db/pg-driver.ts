// Kysely's Postgres dialect over a pg Pool, with one change to its driver: a user transaction's
// opening travels with its first statement. BEGIN, and the statements marked deferred (withUser's
// claims: `deferred(sql)`), wait on the connection and go in front of the transaction's first
// real statement, in one simple-protocol message ("begin; <claims>; <statement>"), that statement's
// values written in as literals (inline-params.ts says why that is the same statement). A read-only
// transaction's COMMIT is sent without waiting for its answer: the connection goes back to the pool
// at once and its next statement queues behind the COMMIT on the same socket. So a user's read by
// id costs one round trip on the request's path, as one hand-written message would.
//
// Why: each round trip to Postgres is a socket write and read in Node and a protocol cycle in
// Postgres, the largest cost left per request (docs/benchmarks.md, "The request path";
// docs/decisions/0022-one-round-trip.md). Otherwise it behaves as Kysely's PostgresDriver
// (kysely 0.28): a COMMIT that Postgres answers with ROLLBACK throws AbortedTransactionError, and
// a connection whose ROLLBACK failed is discarded rather than handed out again. A transaction that
// ran no statement sends nothing at all. Streaming (cursors) is not configured here, as before.
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
import { inlineParameters } from './inline-params'

/** Marks a parameterless statement whose answer nobody reads, so it may wait for the next one. */
const DEFERRED = '/* matchbase:deferred */ '

/**
 * A statement that may travel with the transaction's next one: at the start of a transaction it
 * costs no round trip of its own. Its result is empty; an error in it fails the next statement.
 */
export const deferred = (statement: string): string => DEFERRED + statement

class Connection implements DatabaseConnection {
  /** BEGIN and deferred statements not yet sent: they go with the next statement. */
  prelude: string[] = []
  /** The open transaction is read only, so its COMMIT need not be waited for. */
  readOnly = false
  discarded = false
  constructor(readonly client: pg.PoolClient) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) throw new Error('Postgres connection has been discarded')
    if (this.prelude.length > 0 && query.sql.startsWith(DEFERRED)) {
      this.prelude.push(query.sql)
      return { rows: [] }
    }
    let text = query.sql
    let parameters: readonly unknown[] = query.parameters
    if (this.prelude.length > 0) {
      const prelude = this.prelude.join(';\n')
      this.prelude = []
      const inlined = inlineParameters(text, parameters)
      if (inlined === undefined) await this.client.query(prelude)
      else {
        text = `${prelude};\n${inlined}`
        parameters = []
      }
    }
    // Several statements in one message answer with one result each; the last is the caller's.
    const answer = (await this.client.query(text, [...parameters])) as pg.QueryResult | pg.QueryResult[]
    const { command, rowCount, rows } = Array.isArray(answer) ? answer[answer.length - 1] : answer
    if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command }] as R[] }
    return {
      numAffectedRows: ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(command) ? BigInt(rowCount ?? 0) : undefined,
      rows: (rows ?? []) as R[],
    }
  }

  /** Sends COMMIT and lets the connection go before it is answered (read-only transactions). */
  commitInBackground(onError: (err: unknown) => void) {
    this.client.query('commit').catch(onError)
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
    connection.prelude = [begin]
    connection.readOnly = settings.accessMode === 'read only'
  }

  async commitTransaction(connection: Connection) {
    if (connection.prelude.length > 0) {
      connection.prelude = [] // nothing ran, nothing to commit
      return
    }
    if (connection.readOnly) {
      // Nothing to make durable: what the transaction read is already in hand. A COMMIT that
      // fails (the connection was lost) leaves the client broken; the pool drops it on error.
      connection.commitInBackground(() => {})
      return
    }
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'))
    // PostgreSQL completes COMMIT with a ROLLBACK tag if an earlier statement error left the
    // transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError()
  }

  async rollbackTransaction(connection: Connection) {
    if (connection.prelude.length > 0) {
      connection.prelude = []
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
