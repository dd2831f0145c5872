/**
 * The table of the security record (migration 0005), in the style of `database-schema.ts`: every column
 * reads as `unknown` and must pass `sql/parse-security-event-row.ts`; writes are typed. The shared SQL
 * reaches it through `db.withTables<SecurityTables>()`.
 */
import type { ColumnType } from 'kysely'

type Column<Write> = ColumnType<unknown, Write, Write>

export interface SecurityEventsTable {
  readonly id: Column<string>
  readonly at: Column<number>
  readonly type: Column<string>
  readonly user_id: Column<string | null>
  readonly session_id: Column<string | null>
  readonly client_id: Column<string | null>
  readonly ip: Column<string | null>
  readonly user_agent: Column<string | null>
  /** A JSON object of flat values (text, integer, boolean, null); never a secret. */
  readonly details: Column<string>
}

/** The table of migration 0005 (a type alias: `withTables` needs an index-compatible record type). */
export type SecurityTables = {
  readonly security_events: SecurityEventsTable
}
