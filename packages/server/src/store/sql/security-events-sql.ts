/**
 * `SecurityEvents` over any Kysely dialect: plain inserts, a keyset listing on `(at, id)` served by the
 * three indexes of migration 0005, and pruning in bounded batches.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { SecurityTables } from '../security-database-schema.ts'
import {
  MAX_SECURITY_DETAILS_BYTES,
  MAX_SECURITY_EVENT_PAGE,
  type SecurityEventFilter,
  type SecurityEventRecord,
  type SecurityEvents,
} from '../security-ports.ts'
import { parseSecurityEventRow } from './parse-security-event-row.ts'

type SecurityDatabase = Database & SecurityTables

/** Rows deleted per prune transaction: short enough that SQLite's write lock is never held for long. */
const PRUNE_BATCH = 1000
const MAX_TYPE_CHARS = 64
const MAX_USER_AGENT_CHARS = 512

function checkBounds(event: SecurityEventRecord): string {
  const details = JSON.stringify(event.details)
  if (Buffer.byteLength(details, 'utf8') > MAX_SECURITY_DETAILS_BYTES) {
    throw new RangeError(`details must be at most ${MAX_SECURITY_DETAILS_BYTES} bytes of JSON`)
  }
  if (event.type.length < 1 || event.type.length > MAX_TYPE_CHARS) {
    throw new RangeError(`type must be 1–${MAX_TYPE_CHARS} characters`)
  }
  if (event.userAgent !== null && event.userAgent.length > MAX_USER_AGENT_CHARS) {
    throw new RangeError(`userAgent must be at most ${MAX_USER_AGENT_CHARS} characters`)
  }
  return details
}

/** The `SecurityEvents` port on SQL. */
export class SqlSecurityEvents implements SecurityEvents {
  readonly #db: Kysely<SecurityDatabase>

  constructor(db: Kysely<SecurityDatabase>) {
    this.#db = db
  }

  async append(event: SecurityEventRecord): Promise<void> {
    const details = checkBounds(event)
    // A transaction like every write of this store: on SQLite the driver begins it IMMEDIATE.
    await this.#db.transaction().execute((trx) =>
      trx
        .insertInto('security_events')
        .values({
          id: event.id,
          at: event.at,
          type: event.type,
          user_id: event.userId,
          session_id: event.sessionId,
          client_id: event.clientId,
          ip: event.ip,
          user_agent: event.userAgent,
          details,
        })
        .execute(),
    )
  }

  async list(filter: SecurityEventFilter): Promise<SecurityEventRecord[]> {
    const { limit, userId, type, since, until, after } = filter
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SECURITY_EVENT_PAGE) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_SECURITY_EVENT_PAGE}`)
    }
    let query = this.#db.selectFrom('security_events').selectAll()
    if (userId !== undefined) query = query.where('user_id', '=', userId)
    if (type !== undefined) query = query.where('type', '=', type)
    if (since !== undefined) query = query.where('at', '>=', since)
    if (until !== undefined) query = query.where('at', '<', until)
    if (after !== undefined) {
      // Keyset continuation on (at, id) descending: strictly older than the last row of the previous page.
      query = query.where((eb) =>
        eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]),
      )
    }
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()
    return rows.map(parseSecurityEventRow)
  }

  async pruneBefore(at: number): Promise<number> {
    let deleted = 0
    for (;;) {
      const result = await this.#db.transaction().execute((trx) =>
        trx
          .deleteFrom('security_events')
          .where(
            'id',
            'in',
            trx.selectFrom('security_events').select('id').where('at', '<', at).limit(PRUNE_BATCH),
          )
          .executeTakeFirst(),
      )
      const count = Number(result.numDeletedRows)
      deleted += count
      if (count < PRUNE_BATCH) return deleted
    }
  }
}
