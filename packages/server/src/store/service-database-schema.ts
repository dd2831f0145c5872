/**
 * The tables that service clients and `max_uses` counters add (migration 0002), in the same style as
 * `database-schema.ts`: every column reads as `unknown` and must pass a parser in `sql/`; writes are typed.
 * The shared SQL reaches them through `db.withTables<ServiceTables>()`.
 */
import type { ColumnType } from 'kysely'
import type { Database } from './database-schema.ts'

type Column<Write> = ColumnType<unknown, Write, Write>

export interface ClientsTable {
  readonly id: Column<string>
  readonly name: Column<string>
  readonly secret_hash: Column<string>
  /** Space-separated RFC 6749 §3.3 scope tokens, sorted. */
  readonly scopes: Column<string>
  readonly created_at: Column<number>
  readonly disabled: Column<0 | 1>
}

export interface TokenUsesTable {
  readonly iss: Column<string>
  readonly jti: Column<string>
  readonly uses: Column<number>
  readonly max_uses: Column<number>
  readonly expires_at: Column<number>
}

/** The tables of migration 0002 (a type alias: `withTables` needs an index-compatible record type). */
export type ServiceTables = {
  readonly clients: ClientsTable
  readonly token_uses: TokenUsesTable
}

/** The whole schema including migration 0002. */
export type ServiceDatabase = Database & ServiceTables
