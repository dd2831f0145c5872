/**
 * Kysely's SQLite dialect with two changes that make several processes (or several Stores in one process)
 * safe on one database file:
 *
 * 1. Every transaction begins with `BEGIN IMMEDIATE`. A plain `BEGIN` is deferred: it reads first and asks
 *    for the write lock at its first write, and if another connection committed in between, SQLite fails
 *    that upgrade with SQLITE_BUSY_SNAPSHOT no matter how long the busy timeout is. Taking the write lock up
 *    front makes the second writer wait at the start and then read the first writer's committed result,
 *    which is what `Sessions.rotateRefreshToken` needs to answer `grace` instead of failing.
 * 2. The wait for that lock does not block the event loop. better-sqlite3 is synchronous, so SQLite's own
 *    busy handler would sleep the whole thread — including, when two Stores share a thread, the very
 *    transaction holding the lock, which could then never finish. So the driver tries `BEGIN IMMEDIATE`
 *    with the busy timeout switched off and retries on a timer until `busyTimeoutMs` has passed.
 *
 * The adapter also declares SQLite's DDL transactional (it is), so Kysely's Migrator runs all pending
 * migrations inside one such transaction: two processes starting at once apply them exactly once.
 */
import type BetterSqlite3 from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely'
import { StoreBusyError } from '../store-errors.ts'
import { isSqliteBusy } from './sqlite-dialect-traits.ts'

/** Longest pause between two attempts; a write transaction of this store lasts well under a millisecond. */
const MAX_RETRY_DELAY_MS = 25

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function beginImmediate(connection: DatabaseConnection, busyTimeoutMs: number): Promise<void> {
  const deadlineMs = performance.now() + busyTimeoutMs
  await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'))
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'))
        return
      } catch (error) {
        if (!isSqliteBusy(error)) throw error
        const remainingMs = deadlineMs - performance.now()
        if (remainingMs <= 0) throw new StoreBusyError(busyTimeoutMs, { cause: error })
        await sleep(Math.min(2 ** attempt, MAX_RETRY_DELAY_MS, remainingMs))
      }
    }
  } finally {
    await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${busyTimeoutMs}`))
  }
}

class WriteLockSqliteDriver extends SqliteDriver {
  readonly #busyTimeoutMs: number
  readonly #onCommit: (() => void) | undefined
  readonly #writesMayBegin: (() => Promise<void> | undefined) | undefined

  constructor(database: BetterSqlite3.Database, options: WriteLockDialectOptions) {
    super({ database })
    this.#busyTimeoutMs = options.busyTimeoutMs
    this.#onCommit = options.onCommit
    this.#writesMayBegin = options.writesMayBegin
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const held = this.#writesMayBegin?.()
    if (held !== undefined) await held
    await beginImmediate(connection, this.#busyTimeoutMs)
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection)
    this.#onCommit?.()
  }
}

export interface WriteLockDialectOptions {
  /** Bound on the wait for the write lock; past it a write rejects with `StoreBusyError`. */
  readonly busyTimeoutMs: number
  /** Called after each committed write transaction (the WAL checkpointer counts them). */
  readonly onCommit?: () => void
  /**
   * Asked before each `BEGIN IMMEDIATE`: a promise holds the transaction back until it resolves (the WAL
   * checkpointer finishing a copy so the WAL can be rewound), without blocking the event loop.
   */
  readonly writesMayBegin?: () => Promise<void> | undefined
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  // Kysely says false, which leaves its Migrator with no lock at all on SQLite (its lock methods are
  // no-ops there); with true it wraps the migrations in a transaction, which our driver makes IMMEDIATE.
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

/**
 * Builds the Kysely dialect for one open better-sqlite3 database. `busyTimeoutMs` bounds the wait for the
 * write lock; past it a write rejects with `StoreBusyError`.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: createWriteLockDialect(new BetterSqlite3(file), { busyTimeoutMs: 5000 }) })
 */
export function createWriteLockDialect(
  database: BetterSqlite3.Database,
  options: WriteLockDialectOptions,
): Dialect {
  if (!Number.isSafeInteger(options.busyTimeoutMs) || options.busyTimeoutMs < 0) {
    throw new RangeError('busyTimeoutMs must be a non-negative integer')
  }
  return {
    createDriver: (): Driver => new WriteLockSqliteDriver(database, options),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
    createAdapter: (): DialectAdapter => new TransactionalDdlSqliteAdapter(),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector => new SqliteIntrospector(db),
  }
}
