/**
 * DPoP-bound sessions (RFC 9449 §5): the RFC 7638 thumbprint of the key a session was started with. Every
 * refresh of the session must prove possession of the same key, so a refresh token stolen without the
 * private key is useless. Null for sessions that are not bound (browser cookie mode, plain native clients).
 * A SHA-256 thumbprint in base64url is always 43 characters; the CHECK keeps a hand edit from storing a
 * value no proof could ever match.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const sessionDpopBindingMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('sessions')
      .addColumn('dpop_jkt', 'text', (col) => col.check(sql`dpop_jkt is null or length(dpop_jkt) = 43`))
      .execute()
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').dropColumn('dpop_jkt').execute()
  },
}
