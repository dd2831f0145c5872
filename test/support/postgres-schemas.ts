/**
 * Isolation for PostgreSQL tests: every store (or server) gets a fresh schema `tessera_test_<random>` in
 * the shared test database, and closing it drops the schema with everything in it. Test files running in
 * parallel, and tests within a file, never see each other's rows.
 */
import { randomBytes } from 'node:crypto'
import { Pool } from 'pg'
import type { Store } from '../../packages/server/src/store/ports.ts'
import {
  openPostgresStore,
  type PostgresStoreOptions,
} from '../../packages/server/src/store/postgres/open-postgres-store.ts'

/**
 * A fresh schema name (lower-case, so it needs no quoting anywhere).
 *
 * @example
 * const schema = freshSchemaName() // 'tessera_test_3f9a0c1b2d4e'
 */
export function freshSchemaName(): string {
  return `tessera_test_${randomBytes(6).toString('hex')}`
}

/**
 * `url` with `search_path` set through libpq's `options` parameter, the form `TESSERA_DATABASE_URL` and
 * `psql` both understand.
 *
 * @example
 * const env = { TESSERA_DATABASE_URL: urlWithSearchPath(databaseUrl, schema) }
 */
export function urlWithSearchPath(url: string, schema: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('options', `-c search_path=${schema}`)
  return parsed.href
}

/** An administrative pool on the test database: creates and drops schemas, writes rows behind a store. */
export class TestDatabase {
  readonly url: string
  readonly admin: Pool
  /** The schema each store opened by `openStore` lives in. */
  readonly #schemas = new WeakMap<Store, string>()

  constructor(url: string) {
    this.url = url
    this.admin = new Pool({ connectionString: url, max: 4 })
    this.admin.on('error', () => {})
  }

  async createSchema(schema: string): Promise<void> {
    await this.admin.query(`create schema "${schema}"`)
  }

  async dropSchema(schema: string): Promise<void> {
    await this.admin.query(`drop schema if exists "${schema}" cascade`)
  }

  /** The schema of a store opened by `openStore`. */
  schemaOf(store: Store): string {
    const schema = this.#schemas.get(store)
    if (schema === undefined) throw new Error('store not opened by this TestDatabase')
    return schema
  }

  /**
   * Opens a store in a fresh schema (or in `schema`, shared with other stores: then nothing is dropped).
   * Closing a store of a fresh schema drops the schema.
   */
  async openStore(
    options: Omit<PostgresStoreOptions, 'url' | 'schema'> & { readonly schema?: string } = {},
  ): Promise<Store> {
    const isFresh = options.schema === undefined
    const schema = options.schema ?? freshSchemaName()
    const store = await openPostgresStore({ ...options, url: this.url, schema })
    let closing: Promise<void> | undefined
    const close = async (): Promise<void> => {
      closing ??= store.close().then(() => (isFresh ? this.dropSchema(schema) : undefined))
      await closing
    }
    // A proxy rather than a copy: the store's methods use private fields, and ports added later pass through.
    const wrapped = new Proxy(store, {
      get(target, property) {
        if (property === 'close') return close
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    this.#schemas.set(wrapped, schema)
    return wrapped
  }

  async close(): Promise<void> {
    await this.admin.end()
  }
}
