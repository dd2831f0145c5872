/**
 * `Identities` over any Kysely dialect. Which of two concurrent links of one upstream `(issuer, subject)`
 * wins is decided by the `user_identities_issuer_subject_unique` index inside the insert itself, never by a
 * read before it.
 */
import type { Kysely } from 'kysely'
import type { OidcDatabase } from '../oidc-database-schema.ts'
import type { Identities, IdentityRecord, NewIdentity } from '../oidc-ports.ts'
import { parseIdentityRow } from './parse-oidc-records.ts'

/** The `Identities` port on SQL. */
export class SqlIdentities implements Identities {
  readonly #db: Kysely<OidcDatabase>

  constructor(db: Kysely<OidcDatabase>) {
    this.#db = db
  }

  async findBySubject(issuer: string, subject: string): Promise<IdentityRecord | undefined> {
    const row = await this.#db
      .selectFrom('user_identities')
      .selectAll()
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst()
    return row === undefined ? undefined : parseIdentityRow(row)
  }

  async create(identity: NewIdentity): Promise<IdentityRecord | undefined> {
    // ON CONFLICT (issuer, subject) DO NOTHING: the loser of a race waits for the winner's commit (row lock
    // on PostgreSQL, write lock on SQLite), inserts nothing and gets no row back. Only that conflict is
    // absorbed: an id collision or an unknown user still rejects instead of passing for "already linked".
    const row = await this.#db.transaction().execute((trx) =>
      trx
        .insertInto('user_identities')
        .values({
          id: identity.id,
          user_id: identity.userId,
          provider_id: identity.providerId,
          issuer: identity.issuer,
          subject: identity.subject,
          email: identity.email,
          email_verified: identity.emailVerified ? 1 : 0,
          created_at: identity.createdAt,
          last_login_at: identity.createdAt,
          upstream_tokens_ciphertext: identity.upstreamTokensCiphertext,
        })
        .onConflict((conflict) => conflict.columns(['issuer', 'subject']).doNothing())
        .returningAll()
        .executeTakeFirst(),
    )
    return row === undefined ? undefined : parseIdentityRow(row)
  }

  async listForUser(userId: string): Promise<IdentityRecord[]> {
    const rows = await this.#db
      .selectFrom('user_identities')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(parseIdentityRow)
  }

  async recordLogin(
    id: string,
    update: {
      readonly at: number
      readonly email: string | null
      readonly emailVerified: boolean
      readonly upstreamTokensCiphertext: string | null
    },
  ): Promise<void> {
    // One statement; of two concurrent logins of one identity the last to commit wins, whole (the row
    // never mixes one login's email with the other's verification flag).
    await this.#db.transaction().execute((trx) =>
      trx
        .updateTable('user_identities')
        .set({
          last_login_at: update.at,
          email: update.email,
          email_verified: update.emailVerified ? 1 : 0,
          upstream_tokens_ciphertext: update.upstreamTokensCiphertext,
        })
        .where('id', '=', id)
        .executeTakeFirst(),
    )
  }

  async delete(userId: string, id: string): Promise<boolean> {
    // The owner is part of the WHERE: an identity id guessed or leaked from another account unlinks nothing.
    const result = await this.#db
      .transaction()
      .execute((trx) =>
        trx
          .deleteFrom('user_identities')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst(),
      )
    return result.numDeletedRows > 0n
  }
}
