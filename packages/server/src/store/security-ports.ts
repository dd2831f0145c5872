/**
 * The port of the security record: an append-only log of security events (sign-ins and their failures,
 * refresh-token reuse, session revocations, key rotations, …). Part of `Store` (ports.ts); the SQL
 * adapter is `sql/security-events-sql.ts`. What an event means and which ones exist is the domain's
 * business (`domain/security-event-types.ts`); the port stores any type name, so an instance running an
 * older release can still list events that a newer one wrote during a rolling upgrade.
 */

/** One value of an event's details: flat, never a nested object, and never a secret. */
export type SecurityDetailValue = string | number | boolean | null

/** The details of an event, as a flat JSON object. */
export type SecurityDetails = Readonly<Record<string, SecurityDetailValue>>

/** One recorded security event. */
export interface SecurityEventRecord {
  /** `evt_…`, unique; chosen by the caller. */
  readonly id: string
  /** When it happened, epoch seconds. */
  readonly at: number
  /** The event type (`login_failed`, `session_revoked`, …), 1–64 characters. */
  readonly type: string
  readonly userId: string | null
  readonly sessionId: string | null
  readonly clientId: string | null
  readonly ip: string | null
  /** At most 512 characters. */
  readonly userAgent: string | null
  readonly details: SecurityDetails
}

/** Where a listing continues: the `(at, id)` of the last event of the previous page. */
export interface SecurityEventCursor {
  readonly at: number
  readonly id: string
}

export interface SecurityEventFilter {
  readonly userId?: string
  readonly type?: string
  /** Only events at or after this instant (epoch seconds). */
  readonly since?: number
  /** Only events before this instant (epoch seconds). */
  readonly until?: number
  /** Only events strictly older than this cursor, in the listing's order. */
  readonly after?: SecurityEventCursor
  /** 1–1000. */
  readonly limit: number
}

/** The most events one listing returns. */
export const MAX_SECURITY_EVENT_PAGE = 1000
/** The longest `details` JSON text an event may have (UTF-8 bytes). */
export const MAX_SECURITY_DETAILS_BYTES = 2048

export interface SecurityEvents {
  /**
   * Appends one event. Concurrency: every call inserts its own row in its own statement; concurrent
   * appends never wait on each other beyond the database's write lock, and none of them can change
   * another's row. Ids are 80-bit random beyond their time prefix, so a collision is a bug: the primary
   * key rejects it and the call rejects, writing nothing. Rejects too (writing nothing) when the details
   * exceed {@link MAX_SECURITY_DETAILS_BYTES}, the user agent 512 characters or the type 64.
   */
  append(event: SecurityEventRecord): Promise<void>
  /**
   * Events matching the filter, newest first (by `at`, then `id`, both descending). A read of committed
   * rows; an append committing concurrently may or may not be included. Paging with `after` (the last
   * event of the previous page) is keyset pagination: events appended meanwhile with a later `at` never
   * shift or repeat the following pages. Rejects a `limit` outside 1–1000 with a `RangeError`.
   */
  list(filter: SecurityEventFilter): Promise<SecurityEventRecord[]>
  /**
   * Deletes events that happened before `at`; resolves how many. Works in batches, each its own short
   * write transaction, so pruning a large backlog never holds SQLite's write lock for long. Concurrency:
   * appends (whose `at` is now, far after the bound) are unaffected; two instances pruning at once each
   * delete a disjoint share of the rows, and their counts add up to the rows deleted.
   */
  pruneBefore(at: number): Promise<number>
}
