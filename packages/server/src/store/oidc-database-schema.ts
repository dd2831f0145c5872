/**
 * The tables that upstream OpenID Connect sign-in adds (migration 0003), in the same style as
 * `database-schema.ts`: every column reads as `unknown` and must pass a parser in `sql/`; writes are typed.
 * The shared SQL reaches them through `db.withTables<OidcTables>()`.
 */
import type { ColumnType } from 'kysely'
import type { Database } from './database-schema.ts'

type Column<Write> = ColumnType<unknown, Write, Write>

export interface UserIdentitiesTable {
  readonly id: Column<string>
  readonly user_id: Column<string>
  readonly provider_id: Column<string>
  /** The ID token's `iss`; with `subject`, the unique key of the identity. */
  readonly issuer: Column<string>
  readonly subject: Column<string>
  readonly email: Column<string | null>
  readonly email_verified: Column<0 | 1>
  readonly created_at: Column<number>
  readonly last_login_at: Column<number>
  /** AES-256-GCM ciphertext of the upstream tokens, only when the provider is configured to keep them. */
  readonly upstream_tokens_ciphertext: Column<string | null>
}

export interface OidcLoginsTable {
  /** SHA-256 (base64url) of the `state` sent upstream; the state itself is never stored. */
  readonly state_hash: Column<string>
  readonly provider_id: Column<string>
  readonly browser_hash: Column<string>
  readonly return_to: Column<string>
  readonly intent: Column<'login' | 'link'>
  readonly user_id: Column<string | null>
  readonly created_at: Column<number>
  readonly expires_at: Column<number>
  /** Set once, by the one `consume` that takes the transaction. */
  readonly consumed_at: Column<number | null>
}

/** The tables of migration 0003 (a type alias: `withTables` needs an index-compatible record type). */
export type OidcTables = {
  readonly user_identities: UserIdentitiesTable
  readonly oidc_logins: OidcLoginsTable
}

/** The whole schema including migration 0003 (0002's tables are reached through their own alias). */
export type OidcDatabase = Database & OidcTables
