/**
 * The security record: one append-only row per security event (sign-ins, reuse detection, revocations,
 * key rotations, …), listed newest first by time, by user and by type, and pruned by age. Schema builder
 * only, so PostgreSQL runs the same migration; the raw fragments are CHECK predicates both dialects accept.
 */
import { type Kysely, type Migration, sql } from 'kysely'

/** Adds `security_events` and the three listing indexes. */
export const securityEventsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('security_events')
      // `evt_` + the event's second in hex + random: ids sort by time, and listing orders by (at, id).
      .addColumn('id', 'text', (col) => col.notNull().primaryKey())
      .addColumn('at', 'bigint', (col) => col.notNull())
      .addColumn('type', 'text', (col) => col.notNull())
      // No foreign keys: the record must outlive the user, session or client it names (an audit trail
      // that a deleted account takes with it is no audit trail).
      .addColumn('user_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('client_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('details', 'text', (col) => col.notNull())
      .addCheckConstraint('security_events_type_length', sql`length(type) between 1 and 64`)
      .addCheckConstraint(
        'security_events_user_agent_length',
        sql`user_agent is null or length(user_agent) <= 512`,
      )
      .addCheckConstraint('security_events_details_length', sql`length(details) <= 4096`)
      .execute()
    // Newest first overall (the admin listing, and pruning by age), per user, and per type.
    await db.schema.createIndex('security_events_at').on('security_events').columns(['at', 'id']).execute()
    await db.schema
      .createIndex('security_events_user_at')
      .on('security_events')
      .columns(['user_id', 'at', 'id'])
      .execute()
    await db.schema
      .createIndex('security_events_type_at')
      .on('security_events')
      .columns(['type', 'at', 'id'])
      .execute()
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('security_events').execute()
  },
}
