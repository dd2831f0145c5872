/**
 * The connection pool under the PostgreSQL store: a bounded node-postgres `Pool` with timeouts on every
 * wait, handed to Kysely through its `PostgresPool` interface so that every failure meaning "the database
 * is unavailable" leaves the store as `PostgresUnavailableError` (a 503 with `Retry-After`), whichever
 * statement hit it.
 */
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import { Pool, type PoolClient } from 'pg'
import { PostgresUnavailableError, toStoreFailure } from './postgres-errors.ts'
import { storeTypeParsers } from './postgres-type-parsers.ts'

/** Shows up in `pg_stat_activity`, so an operator can tell Tessera's connections from the rest. */
const APPLICATION_NAME = 'tessera'

/** An idle connection is closed after this; a pool of 10 does not pin 10 backends through quiet hours. */
const IDLE_CONNECTION_MS = 30_000

/**
 * A transaction left open by a stalled process would hold a session's row lock and stall every refresh of
 * that family; the server ends such a session after this. Our transactions never wait on anything but SQL.
 */
const IDLE_IN_TRANSACTION_MS = 60_000

export interface PostgresPoolSettings {
  /** `postgres://…` connection URL (libpq parameters such as `sslmode` and `options` are honoured). */
  readonly url: string
  /** Schema every connection works in (`search_path`), or undefined for the URL's or server's default. */
  readonly schema: string | undefined
  readonly maxConnections: number
  /** Bound on opening a connection and on waiting for a free one. */
  readonly connectionTimeoutMs: number
  /** Server-side bound on one statement, lock waits included; 0 for none (migrations). */
  readonly statementTimeoutMs: number
  /**
   * Hot statements to run as named prepared statements, by exact text → name. PostgreSQL then parses and
   * plans each once per connection instead of on every call (node-postgres prepares a name on first use
   * and remembers it per connection). Only a fixed few texts, so the set a connection holds stays small.
   */
  readonly preparedStatements?: ReadonlyMap<string, string>
}

// While a client is checked out the pool listens for nothing on it, and node-postgres emits 'error' when
// the server drops the connection between two queries: unheard, that event would crash the process. The
// next query on the client fails instead (and is mapped), and the pool discards the client on release.
function ignoreConnectionLoss(): void {}

const NO_PREPARED_STATEMENTS: ReadonlyMap<string, string> = new Map()

class StorePoolClient implements PostgresPoolClient {
  readonly #client: PoolClient
  readonly #preparedStatements: ReadonlyMap<string, string>
  /** A statement on it failed as "unavailable": the connection may be dying and must not be reused. */
  #isSuspect = false

  constructor(client: PoolClient, preparedStatements: ReadonlyMap<string, string>) {
    this.#client = client
    this.#preparedStatements = preparedStatements
    client.on('error', ignoreConnectionLoss)
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R>(
    statement: string | PostgresCursor<R>,
    parameters: ReadonlyArray<unknown> = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof statement !== 'string') throw new TypeError('the store does not stream through cursors')
    return this.#run<R>(statement, parameters)
  }

  release(destroy?: boolean): void {
    this.#client.removeListener('error', ignoreConnectionLoss)
    // The server reports 57P01 (admin_shutdown, a failover) before it closes the socket; released at once,
    // the connection would still look usable and the next caller would get a dead one. A transaction's
    // ROLLBACK round trip used to give the close time to arrive; a single statement has no such pause.
    this.#client.release(destroy === true || this.#isSuspect)
  }

  async #run<R>(statement: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    try {
      const name = this.#preparedStatements.get(statement)
      const result = await this.#client.query<Record<string, unknown>>(
        name === undefined ? statement : { name, text: statement },
        [...parameters],
      )
      return {
        // Kysely reads `command` only to recognise INSERT/UPDATE/DELETE/MERGE and COMMIT/ROLLBACK; other
        // tags (BEGIN, CREATE, …) pass through unread, as with Kysely's own node-postgres binding.
        command: result.command as PostgresQueryResult<R>['command'],
        rowCount: result.rowCount ?? 0,
        // Rows stay `unknown` to the store: every column passes a row parser (`sql/parse-records.ts`).
        rows: result.rows as R[],
      }
    } catch (error) {
      const failure = toStoreFailure(error, 'query')
      if (failure instanceof PostgresUnavailableError) this.#isSuspect = true
      throw failure
    }
  }
}

/** A node-postgres pool seen through Kysely's `PostgresPool`, with failures mapped for the HTTP layer. */
export class StorePool implements PostgresPool {
  readonly #pool: Pool
  readonly #preparedStatements: ReadonlyMap<string, string>

  constructor(settings: PostgresPoolSettings) {
    const { schema } = settings
    this.#preparedStatements = settings.preparedStatements ?? NO_PREPARED_STATEMENTS
    this.#pool = new Pool({
      connectionString: settings.url,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectionTimeoutMs,
      idleTimeoutMillis: IDLE_CONNECTION_MS,
      application_name: APPLICATION_NAME,
      statement_timeout: settings.statementTimeoutMs === 0 ? false : settings.statementTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      // Notices a dead peer (a failed-over primary, a dropped NAT mapping) on idle connections.
      keepAlive: true,
      types: storeTypeParsers,
      // Set at connection startup, so not even the first statement on a connection runs elsewhere. The
      // schema name was checked to be a plain identifier; no quoting or escaping is needed.
      options: schema === undefined ? undefined : `-c search_path=${schema}`,
    })
    // An idle connection that dies (server restart, admin shutdown) is already dropped by the pool; the
    // event only reports it, and without a listener it would crash the process.
    this.#pool.on('error', ignoreConnectionLoss)
  }

  async connect(): Promise<PostgresPoolClient> {
    try {
      return new StorePoolClient(await this.#pool.connect(), this.#preparedStatements)
    } catch (error) {
      throw toStoreFailure(error, 'connect')
    }
  }

  async end(): Promise<void> {
    await this.#pool.end()
  }
}
