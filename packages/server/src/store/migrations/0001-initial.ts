/**
 * The first schema: users, sessions, refresh-token families and the signing-key ring.
 * Built with Kysely's schema builder only, so the same migration runs on SQLite and PostgreSQL; the raw
 * fragments are CHECK predicates in plain SQL that both accept.
 */
import { type Kysely, type Migration, sql } from 'kysely'

async function createUsers(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.notNull().primaryKey())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('not_before_at', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    // The index, not a read before the insert, decides who gets an address (Users.create).
    .addUniqueConstraint('users_email_unique', ['email'])
    .addCheckConstraint('users_disabled_flag', sql`disabled in (0, 1)`)
    .execute()
}

async function createSessions(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.notNull().primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    .addCheckConstraint('sessions_state_known', sql`state in ('active', 'revoked')`)
    .execute()
  await db.schema.createIndex('sessions_user_state').on('sessions').columns(['user_id', 'state']).execute()
}

async function createRefreshTokens(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'text', (col) => col.notNull().primaryKey())
    .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('rotated_at', 'bigint')
    // No foreign key: the rotating UPDATE names the successor before the successor row is inserted.
    .addColumn('successor_id', 'text')
    .addUniqueConstraint('refresh_tokens_hash_unique', ['token_hash'])
    .addCheckConstraint('refresh_tokens_state_known', sql`state in ('active', 'rotated', 'revoked')`)
    .execute()
  await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').column('session_id').execute()
}

async function createSigningKeys(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.notNull().primaryKey())
    .addColumn('alg', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('public_jwk', 'text', (col) => col.notNull())
    .addColumn('private_key_ciphertext', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('activated_at', 'bigint')
    .addColumn('retired_at', 'bigint')
    .addColumn('publish_until', 'bigint')
    .addCheckConstraint('signing_keys_alg_known', sql`alg in ('EdDSA', 'ES256')`)
    .addCheckConstraint('signing_keys_state_known', sql`state in ('next', 'current', 'retired')`)
    .execute()
  // Instances sharing one database agree on the ring without a coordinator: the second `next` or
  // `current` loses at the index (SigningKeys.insert / promote).
  for (const state of ['next', 'current'] as const) {
    await db.schema
      .createIndex(`signing_keys_one_${state}`)
      .on('signing_keys')
      .column('state')
      .unique()
      .where('state', '=', state)
      .execute()
  }
}

/** Creates the four tables of the first release. */
export const initialMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createUsers(db)
    await createSessions(db)
    await createRefreshTokens(db)
    await createSigningKeys(db)
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['signing_keys', 'refresh_tokens', 'sessions', 'users']) {
      await db.schema.dropTable(table).execute()
    }
  },
}
