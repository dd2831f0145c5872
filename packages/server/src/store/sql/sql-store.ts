/**
 * The `Store` over one Kysely handle: the SQL ports plus readiness and shutdown. Drivers
 * (`sqlite/open-sqlite-store.ts`, later PostgreSQL) open the connection, migrate, and hand it here.
 */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { OidcTables } from '../oidc-database-schema.ts'
import type { Identities, OidcLogins } from '../oidc-ports.ts'
import type { Clients, Sessions, SigningKeys, Store, TokenUses, Users } from '../ports.ts'
import type { SecurityTables } from '../security-database-schema.ts'
import type { SecurityEvents } from '../security-ports.ts'
import type { ServiceTables } from '../service-database-schema.ts'
import { SqlClients } from './clients-sql.ts'
import { SqlIdentities } from './identities-sql.ts'
import { SqlOidcLogins } from './oidc-logins-sql.ts'
import { SqlSecurityEvents } from './security-events-sql.ts'
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
  readonly securityEvents: SecurityEvents
  readonly #db: Kysely<Database>
  readonly #sessions: SqlSessions
  readonly #beforeClose: (() => Promise<void>) | undefined
  #closing: Promise<void> | undefined

  constructor(options: {
    readonly kind: 'sqlite' | 'postgres'
    readonly db: Kysely<Database>
    readonly traits: SqlDialectTraits
    /** The dialect's one-statement rotation for the common case, if it has one (PostgreSQL). */
    readonly rotateInOneStatement?: RotateInOneStatement
    /** Commit the rotations of one event-loop turn together (SQLite: one synchronous connection). */
    readonly groupCommitRotations?: boolean
    /** Runs on close, after pending rotations were answered and before the handle is destroyed. */
    readonly beforeClose?: () => Promise<void>
  }) {
    this.kind = options.kind
    this.#db = options.db
    this.#beforeClose = options.beforeClose
    this.users = new SqlUsers(options.db)
    const { rotateInOneStatement, groupCommitRotations } = options
    this.#sessions = new SqlSessions(options.db, options.traits, {
      ...(rotateInOneStatement === undefined ? {} : { rotateInOneStatement }),
      ...(groupCommitRotations === undefined ? {} : { groupCommitRotations }),
    })
    this.sessions = this.#sessions
    this.signingKeys = new SqlSigningKeys(options.db, options.traits)
    const withServiceTables = options.db.withTables<ServiceTables>()
    this.clients = new SqlClients(withServiceTables)
    this.tokenUses = new SqlTokenUses(withServiceTables)
    const withOidcTables = options.db.withTables<OidcTables>()
    this.identities = new SqlIdentities(withOidcTables)
    this.oidcLogins = new SqlOidcLogins(withOidcTables)
    this.securityEvents = new SqlSecurityEvents(options.db.withTables<SecurityTables>())
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db)
  }

  /** Idempotent: later calls wait for the first one. Rotations already asked for are answered first. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#sessions.settled()
        await this.#beforeClose?.()
      } finally {
        await this.#db.destroy()
      }
    })()
    await this.#closing
  }
}
