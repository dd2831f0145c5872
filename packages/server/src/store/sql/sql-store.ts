/**
 * The `Store` over one Kysely handle: the SQL ports plus readiness and shutdown. Drivers
 * (`sqlite/open-sqlite-store.ts`, later PostgreSQL) open the connection, migrate, and hand it here.
 */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { OidcTables } from '../oidc-database-schema.ts'
import type { Identities, OidcLogins } from '../oidc-ports.ts'
import type { Clients, Sessions, SigningKeys, Store, TokenUses, Users } from '../ports.ts'
import type { ServiceTables } from '../service-database-schema.ts'
import { SqlClients } from './clients-sql.ts'
import { SqlIdentities } from './identities-sql.ts'
import { SqlOidcLogins } from './oidc-logins-sql.ts'
import { type RotateInOneStatement, SqlSessions } from './sessions-sql.ts'
import { SqlSigningKeys } from './signing-keys-sql.ts'
import type { SqlDialectTraits } from './sql-dialect-traits.ts'
import { SqlTokenUses } from './token-uses-sql.ts'
import { SqlUsers } from './users-sql.ts'

/** A store on a SQL database; owns the Kysely handle and destroys it on `close()`. */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres'
  readonly users: Users
  readonly sessions: Sessions
  readonly signingKeys: SigningKeys
  readonly clients: Clients
  readonly tokenUses: TokenUses
  readonly identities: Identities
  readonly oidcLogins: OidcLogins
  readonly #db: Kysely<Database>
  #closing: Promise<void> | undefined

  constructor(options: {
    readonly kind: 'sqlite' | 'postgres'
    readonly db: Kysely<Database>
    readonly traits: SqlDialectTraits
    /** The dialect's one-statement rotation for the common case, if it has one (PostgreSQL). */
    readonly rotateInOneStatement?: RotateInOneStatement
  }) {
    this.kind = options.kind
    this.#db = options.db
    this.users = new SqlUsers(options.db)
    const { rotateInOneStatement } = options
    this.sessions = new SqlSessions(
      options.db,
      options.traits,
      rotateInOneStatement === undefined ? {} : { rotateInOneStatement },
    )
    this.signingKeys = new SqlSigningKeys(options.db, options.traits)
    const withServiceTables = options.db.withTables<ServiceTables>()
    this.clients = new SqlClients(withServiceTables)
    this.tokenUses = new SqlTokenUses(withServiceTables)
    const withOidcTables = options.db.withTables<OidcTables>()
    this.identities = new SqlIdentities(withOidcTables)
    this.oidcLogins = new SqlOidcLogins(withOidcTables)
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db)
  }

  /** Idempotent: later calls wait for the first one. */
  async close(): Promise<void> {
    this.#closing ??= this.#db.destroy()
    await this.#closing
  }
}
