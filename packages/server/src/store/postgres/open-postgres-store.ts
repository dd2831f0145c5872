/**
 * Opens the scale-out store: PostgreSQL through Kysely and node-postgres, the shared SQL on top (the same
 * ports, the same migrations as SQLite). Several instances may open one database at once: Kysely's
 * Migrator holds a PostgreSQL advisory lock (`pg_advisory_lock`) for the whole migration run, inside one
 * transaction, so each migration is applied exactly once and a second instance waits, then finds nothing
 * left to do.
 */
import { Kysely, PostgresDialect, sql } from 'kysely'
import type { Database } from '../database-schema.ts'
import { migrateToLatest } from '../migrate.ts'
import type { Store } from '../ports.ts'
import { SqlStore } from '../sql/sql-store.ts'
import { StoreOpenError } from '../store-errors.ts'
import { createMigrationDialect } from './migration-dialect.ts'
import { postgresDialectTraits } from './postgres-dialect-traits.ts'
import { type PostgresPoolSettings, StorePool } from './postgres-pool.ts'
import {
  ROTATE_IN_ONE_STATEMENT_NAME,
  ROTATE_IN_ONE_STATEMENT_SQL,
  rotateInOneStatement,
} from './rotate-in-one-statement.ts'

/** Ten connections per instance: N instances × 10 stays under PostgreSQL's default 100 for small N. */
const DEFAULT_POOL_SIZE = 10
/** A store statement takes milliseconds; ten seconds means a lock jam or an overloaded server. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000
/** Opening a connection or waiting for a free one; past it the request gets a 503, not a hang. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000

/** A plain lower-case identifier: safe in `search_path` and in DDL without quoting rules to get wrong. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq parameters such as `sslmode` are honoured). */
  readonly url: string
  /**
   * Schema to keep the tables in, created if absent and set as every connection's `search_path`. Without
   * it the URL decides (`?options=-c%20search_path%3Dname`), else the server's default (`public`).
   */
  readonly schema?: string
  /** Most connections this instance opens; default 10. */
  readonly poolSize?: number
  /** Server-side bound on one statement, lock waits included; default 10000. */
  readonly statementTimeoutMs?: number
  /** Bound on opening a connection or waiting for a free one; default 5000. */
  readonly connectionTimeoutMs?: number
}

function checkedPositiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`)
  return value
}

function resolveSettings(options: PostgresStoreOptions): PostgresPoolSettings {
  // The URL holds a password: it is parsed here only to check its shape and never appears in an error.
  const url = URL.canParse(options.url) ? new URL(options.url) : undefined
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new RangeError('url must be a postgres:// or postgresql:// URL')
  }
  const { schema } = options
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) throw new RangeError('schema must match [a-z_][a-z0-9_]{0,62}')
    // node-postgres lets the URL's `options` win over ours, so both at once would silently diverge.
    if (url.searchParams.has('options'))
      throw new RangeError('give the schema in the URL or as schema, not both')
  }
  return {
    url: options.url,
    schema,
    maxConnections: checkedPositiveInteger(options.poolSize ?? DEFAULT_POOL_SIZE, 'poolSize'),
    statementTimeoutMs: checkedPositiveInteger(
      options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      'statementTimeoutMs',
    ),
    connectionTimeoutMs: checkedPositiveInteger(
      options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      'connectionTimeoutMs',
    ),
  }
}

/** Where the store lives, for error messages: scheme, host, port and database, never user or password. */
function describeTarget(url: string): string {
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

/** Creates the configured schema if needed and resolves the schema new tables will land in. */
async function prepareSchema(db: Kysely<Database>, schema: string | undefined): Promise<string> {
  if (schema !== undefined) {
    try {
      await db.schema.createSchema(schema).ifNotExists().execute()
    } catch (error) {
      // Two instances creating it at once: IF NOT EXISTS still lets the loser fail on the catalog's index.
      const found = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db)
      if (found.rows.length === 0) throw error
    }
  }
  const { rows } = await sql<{ readonly name: unknown }>`select current_schema() as name`.execute(db)
  const name = rows[0]?.name
  // NULL when no schema of the search_path exists: tables would have nowhere to go.
  if (typeof name !== 'string') throw new Error('the search_path names no existing schema')
  return name
}

async function migrate(settings: PostgresPoolSettings, target: string): Promise<void> {
  // Migrations get their own connection without the statement timeout: waiting for another instance's
  // migration lock, or a long index build, is not a stuck request.
  const pool = new StorePool({ ...settings, maxConnections: 1, statementTimeoutMs: 0 })
  const db = new Kysely<Database>({ dialect: createMigrationDialect(pool) })
  try {
    let schema: string
    try {
      schema = await prepareSchema(db, settings.schema)
    } catch (error) {
      throw new StoreOpenError(target, { cause: error })
    }
    await migrateToLatest(db, { schema })
  } finally {
    await db.destroy()
  }
}

/**
 * Connects to PostgreSQL, brings the schema to the newest version, and returns the store over a bounded
 * pool. Rejects with `StoreOpenError` (unreachable, bad credentials, no usable schema) or
 * `StoreMigrationError`, the driver's error as `cause`; with `RangeError` for bad options.
 *
 * @example
 * const store = await openPostgresStore({ url: 'postgres://tessera@db.internal:5432/tessera' })
 * await store.ping()
 * await store.close()
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const settings = resolveSettings(options)
  await migrate(settings, describeTarget(settings.url))
  const preparedStatements = new Map([[ROTATE_IN_ONE_STATEMENT_SQL, ROTATE_IN_ONE_STATEMENT_NAME]])
  const pool = new StorePool({ ...settings, preparedStatements })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return new SqlStore({ kind: 'postgres', db, traits: postgresDialectTraits, rotateInOneStatement })
}
