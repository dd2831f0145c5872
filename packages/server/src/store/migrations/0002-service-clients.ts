/**
 * Service clients, `max_uses` counters, and the indexes the revocation feed's snapshot reads by.
 * Schema builder only, so PostgreSQL runs the same migration; the raw fragments are CHECK predicates both
 * dialects accept.
 */
import { type Kysely, type Migration, sql } from 'kysely'

async function createClients(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('clients')
    .addColumn('id', 'text', (col) => col.notNull().primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
    .addCheckConstraint('clients_disabled_flag', sql`disabled in (0, 1)`)
    .execute()
}

async function createTokenUses(db: Kysely<unknown>): Promise<void> {
  // Keyed on (iss, jti), never on token bytes: ECDSA signatures are malleable, so one token has several
  // valid encodings, and each would otherwise get its own counter.
  await db.schema
    .createTable('token_uses')
    .addColumn('iss', 'text', (col) => col.notNull())
    .addColumn('jti', 'text', (col) => col.notNull())
    .addColumn('uses', 'integer', (col) => col.notNull())
    .addColumn('max_uses', 'integer', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('token_uses_pk', ['iss', 'jti'])
    .addCheckConstraint('token_uses_bounded', sql`uses >= 1 and uses <= max_uses`)
    .execute()
  await db.schema.createIndex('token_uses_expires_at').on('token_uses').column('expires_at').execute()
}

async function createFeedIndexes(db: Kysely<unknown>): Promise<void> {
  // The revocation feed's snapshot: recent revocations and recent not-before moves.
  await db.schema.createIndex('sessions_revoked_at').on('sessions').column('revoked_at').execute()
  await db.schema.createIndex('users_not_before_at').on('users').column('not_before_at').execute()
}

/** Adds clients, token-use counters and the feed's indexes. */
export const serviceClientsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createClients(db)
    await createTokenUses(db)
    await createFeedIndexes(db)
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('users_not_before_at').execute()
    await db.schema.dropIndex('sessions_revoked_at').execute()
    await db.schema.dropTable('token_uses').execute()
    await db.schema.dropTable('clients').execute()
  },
}
