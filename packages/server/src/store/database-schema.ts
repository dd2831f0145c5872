/**
 * The tables of the durable store as Kysely sees them. Column names are snake_case and portable:
 * instants are BIGINT epoch seconds (SQLite INTEGER, PostgreSQL bigint), booleans are INTEGER 0/1,
 * ids are TEXT chosen by the caller.
 *
 * Every column *reads* as `unknown`: PostgreSQL returns bigint as a string, SQLite's flexible typing lets
 * any value sit in any column, and an operator may edit rows by hand. So no row reaches the domain without
 * passing through `sql/parse-records.ts`; the compiler refuses to let a raw column flow into a record.
 * Writes stay precisely typed.
 */
import type { ColumnType } from 'kysely'

/** Reads as `unknown` (must be parsed), inserts and updates as `Write`. */
type Column<Write> = ColumnType<unknown, Write, Write>

type Instant = Column<number>
type Flag = Column<0 | 1>

export interface UsersTable {
  readonly id: Column<string>
  readonly email: Column<string>
  readonly name: Column<string | null>
  readonly password_hash: Column<string | null>
  readonly disabled: Flag
  readonly not_before_at: Column<number | null>
  readonly created_at: Instant
  readonly updated_at: Instant
}

export interface SessionsTable {
  readonly id: Column<string>
  readonly user_id: Column<string>
  readonly client_id: Column<string>
  readonly state: Column<'active' | 'revoked'>
  readonly created_at: Instant
  readonly last_used_at: Instant
  readonly expires_at: Instant
  readonly ip: Column<string | null>
  readonly user_agent: Column<string | null>
  readonly revoked_at: Column<number | null>
  readonly revoked_reason: Column<string | null>
  /** RFC 7638 thumbprint of the session's DPoP key; null when the session is not DPoP-bound. */
  readonly dpop_jkt: Column<string | null>
}

export interface RefreshTokensTable {
  readonly id: Column<string>
  readonly session_id: Column<string>
  readonly token_hash: Column<string>
  readonly state: Column<'active' | 'rotated' | 'revoked'>
  readonly created_at: Instant
  readonly expires_at: Instant
  readonly rotated_at: Column<number | null>
  readonly successor_id: Column<string | null>
}

export interface SigningKeysTable {
  readonly kid: Column<string>
  readonly alg: Column<'EdDSA' | 'ES256'>
  readonly state: Column<'next' | 'current' | 'retired'>
  readonly public_jwk: Column<string>
  readonly private_key_ciphertext: Column<string>
  readonly created_at: Instant
  readonly activated_at: Column<number | null>
  readonly retired_at: Column<number | null>
  readonly publish_until: Column<number | null>
}

/** The whole schema, as the `Kysely<Database>` type parameter. */
export interface Database {
  readonly users: UsersTable
  readonly sessions: SessionsTable
  readonly refresh_tokens: RefreshTokensTable
  readonly signing_keys: SigningKeysTable
}
