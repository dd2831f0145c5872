/**
 * Opens the embedded store: one SQLite file through better-sqlite3, the shared SQL on top. The file and
 * its WAL hold password hashes and encrypted private keys, so the directory is created 0700 and the file
 * 0600 (SQLite gives the -wal and -shm files the mode of the database file).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import { migrateToLatest } from '../migrate.ts'
import type { Store } from '../ports.ts'
import { SqlStore } from '../sql/sql-store.ts'
import { StoreOpenError } from '../store-errors.ts'
import { sqliteDialectTraits } from './sqlite-dialect-traits.ts'
import { withStatementCache } from './statement-cache.ts'
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.ts'
import { createWriteLockDialect } from './write-lock-dialect.ts'

/** How long a writer waits for another connection's write lock before failing with `StoreBusyError`. */
const DEFAULT_BUSY_TIMEOUT_MS = 5000

export interface SqliteStoreOptions {
  /** Path of the database file; created (with its directory) when missing. */
  readonly file: string
  /** Bound on waiting for the write lock; default 5000. */
  readonly busyTimeoutMs?: number
  /** Tuning of the WAL checkpoint thread (wal-checkpointer.ts); its defaults suit a server. */
  readonly walCheckpointer?: Pick<
    WalCheckpointerOptions,
    'intervalMs' | 'rewindAtFrames' | 'startAfterCommits'
  >
}

function openConfiguredDatabase(file: string, busyTimeoutMs: number): BetterSqlite3.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  // Create the file ourselves so that it is born 0600; an existing file keeps the mode its owner chose.
  closeSync(openSync(file, 'a', 0o600))
  const database = new BetterSqlite3(file, { timeout: busyTimeoutMs })
  try {
    // WAL: readers never wait for the writer, and one writer at a time is what BEGIN IMMEDIATE gives.
    const journalMode: unknown = database.pragma('journal_mode = WAL', { simple: true })
    if (journalMode !== 'wal') throw new Error('the database refused WAL journal mode')
    database.pragma(`busy_timeout = ${busyTimeoutMs}`)
    database.pragma('foreign_keys = ON')
    // NORMAL in WAL mode loses at most the last commits on power loss, never consistency.
    database.pragma('synchronous = NORMAL')
    return database
  } catch (error) {
    database.close()
    throw error
  }
}

/**
 * Opens (creating if needed) and migrates the SQLite store at `options.file`.
 * Rejects with `StoreOpenError` or `StoreMigrationError`, the driver's error as `cause`.
 *
 * @example
 * const store = await openSqliteStore({ file: './data/tessera.db' })
 * await store.ping()
 * await store.close()
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const file = resolve(options.file)
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError('busyTimeoutMs must be a non-negative integer')
  }
  let database: BetterSqlite3.Database
  try {
    database = openConfiguredDatabase(file, busyTimeoutMs)
  } catch (error) {
    throw new StoreOpenError(file, { cause: error })
  }
  const checkpointer = new WalCheckpointer(database, { ...options.walCheckpointer, file, busyTimeoutMs })
  const db = new Kysely<Database>({
    dialect: createWriteLockDialect(withStatementCache(database), {
      busyTimeoutMs,
      onCommit: () => checkpointer.noteCommit(),
      writesMayBegin: () => checkpointer.writesMayBegin(),
    }),
  })
  try {
    await migrateToLatest(db)
  } catch (error) {
    await checkpointer.stop()
    await db.destroy()
    throw error
  }
  return new SqlStore({
    kind: 'sqlite',
    db,
    traits: sqliteDialectTraits,
    // better-sqlite3 is synchronous on one connection: rotations run one after another anyway.
    groupCommitRotations: true,
    // The worker's connection closes first, so this one is the last and leaves a checkpointed file.
    beforeClose: () => checkpointer.stop(),
  })
}
