/**
 * Sign-in through upstream OpenID Connect providers: the identities linked to users, and the one-time
 * login transactions between `/v1/oidc/{id}/start` and its callback. Schema builder only, so PostgreSQL
 * runs the same migration; the raw fragments are CHECK predicates both dialects accept.
 */
import { type Kysely, type Migration, sql } from 'kysely'

async function createUserIdentities(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_identities')
    .addColumn('id', 'text', (col) => col.notNull().primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (col) => col.notNull())
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_login_at', 'bigint', (col) => col.notNull())
    .addColumn('upstream_tokens_ciphertext', 'text')
    // OIDC Core §5.7: only (iss, sub) identifies an end-user; the email is mutable and may be reassigned.
    // The index, not a read before the insert, decides which of two concurrent links wins (Identities.create).
    .addUniqueConstraint('user_identities_issuer_subject_unique', ['issuer', 'subject'])
    .addCheckConstraint('user_identities_email_verified_flag', sql`email_verified in (0, 1)`)
    .execute()
  await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute()
}

async function createOidcLogins(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_logins')
    // The SHA-256 of `state`, never the state: a leaked table cannot complete anyone's callback.
    .addColumn('state_hash', 'text', (col) => col.notNull().primaryKey())
    .addColumn('provider_id', 'text', (col) => col.notNull())
    .addColumn('browser_hash', 'text', (col) => col.notNull())
    .addColumn('return_to', 'text', (col) => col.notNull())
    .addColumn('intent', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('consumed_at', 'bigint')
    .addCheckConstraint('oidc_logins_intent_known', sql`intent in ('login', 'link')`)
    // A link attaches the identity to the signed-in user; without one it would have nobody to attach to.
    .addCheckConstraint('oidc_logins_link_has_user', sql`intent <> 'link' or user_id is not null`)
    .execute()
  await db.schema.createIndex('oidc_logins_expires_at').on('oidc_logins').column('expires_at').execute()
}

/** Adds linked upstream identities and OIDC login transactions. */
export const oidcIdentitiesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createUserIdentities(db)
    await createOidcLogins(db)
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('oidc_logins').execute()
    await db.schema.dropTable('user_identities').execute()
  },
}
