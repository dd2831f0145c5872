/**
 * Parses a listing of the security record from untrusted text — the query string of
 * `GET /v1/admin/events` or the flags of `tessera events` — into a bounded store filter, or names the
 * field that is wrong. Both front ends share it, so they accept exactly the same values.
 */
import type { SecurityEventFilter } from '../store/security-ports.ts'
import { isId } from './ids.ts'
import { isSecurityEventType } from './security-event-types.ts'
import { parseEventCursor } from './security-event-view.ts'

/** The listing's fields as text, each optional. `user` must already be a user id. */
export interface EventQueryText {
  readonly user?: string | undefined
  readonly type?: string | undefined
  readonly since?: string | undefined
  readonly until?: string | undefined
  readonly cursor?: string | undefined
  readonly limit?: string | undefined
}

export type EventQueryField = keyof EventQueryText

export type EventQueryOutcome =
  | { readonly ok: true; readonly filter: SecurityEventFilter }
  | { readonly ok: false; readonly field: EventQueryField; readonly message: string }

export const DEFAULT_EVENT_PAGE = 100
const MAX_EVENT_PAGE = 1000
const MAX_TIME_CHARS = 40
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2}))?$/
const EPOCH_SECONDS = /^\d{1,12}$/
const AGO = /^(\d{1,10})([smhd]?)$/
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }
const DECIMAL = /^\d{1,4}$/

/** An RFC 3339 instant (or a bare date, midnight UTC) as epoch seconds; undefined when invalid. */
function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text)
  if (match === null) return undefined
  const [, year, month, day] = match
  const ms = Date.parse(match[4] === undefined ? `${text}T00:00:00Z` : text.toUpperCase())
  if (!Number.isFinite(ms)) return undefined
  // Date.parse rolls 2024-02-30 over to March; a date that does not exist is refused instead.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)))
  if (calendar.getUTCDate() !== Number(day) || calendar.getUTCMonth() !== Number(month) - 1) return undefined
  return Math.floor(ms / 1000)
}

/**
 * An instant: RFC 3339 (`2024-05-01T12:00:00Z`, or a bare date at midnight UTC), or a number, which is
 * epoch seconds for the API and "this long ago" for people (`3600`, `15m`, `2h`, `7d`) at the CLI.
 */
function parseInstant(text: string, now: number, relative: boolean): number | undefined {
  if (text.length > MAX_TIME_CHARS) return undefined
  if (relative) {
    const ago = AGO.exec(text)
    if (ago !== null) return now - Number(ago[1]) * (UNIT_SECONDS[ago[2] ?? ''] ?? 1)
  } else if (EPOCH_SECONDS.test(text)) {
    return Number(text)
  }
  return parseRfc3339(text)
}

/**
 * Parses a listing. `relativeTimes` makes a bare number in `since`/`until` mean "seconds ago" (the CLI)
 * instead of epoch seconds (the API).
 *
 * @example
 * parseEventQuery({ type: 'login_failed', since: '1h' }, { now, relativeTimes: true })
 * // { ok: true, filter: { type: 'login_failed', since: now - 3600, limit: 100 } }
 */
export function parseEventQuery(
  query: EventQueryText,
  options: { readonly now: number; readonly relativeTimes: boolean },
): EventQueryOutcome {
  const timeFormat = options.relativeTimes
    ? 'an RFC 3339 time or an age in seconds (15m, 2h and 7d work too)'
    : 'an RFC 3339 time or epoch seconds'
  const filter: { -readonly [K in keyof SecurityEventFilter]: SecurityEventFilter[K] } = {
    limit: DEFAULT_EVENT_PAGE,
  }
  if (query.user !== undefined) {
    if (!isId('usr', query.user)) return { ok: false, field: 'user', message: 'expected a user id (usr_…)' }
    filter.userId = query.user
  }
  if (query.type !== undefined) {
    if (!isSecurityEventType(query.type)) {
      return { ok: false, field: 'type', message: 'type is not a security event type' }
    }
    filter.type = query.type
  }
  for (const field of ['since', 'until'] as const) {
    const text = query[field]
    if (text === undefined) continue
    const at = parseInstant(text, options.now, options.relativeTimes)
    if (at === undefined) return { ok: false, field, message: `${field} must be ${timeFormat}` }
    filter[field] = at
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.until <= filter.since) {
    return { ok: false, field: 'until', message: 'until must be later than since' }
  }
  if (query.cursor !== undefined) {
    const after = parseEventCursor(query.cursor)
    if (after === undefined) return { ok: false, field: 'cursor', message: 'cursor is not an event id' }
    filter.after = after
  }
  if (query.limit !== undefined) {
    const limit = DECIMAL.test(query.limit) ? Number(query.limit) : 0
    if (limit < 1 || limit > MAX_EVENT_PAGE) {
      return { ok: false, field: 'limit', message: `limit must be an integer from 1 to ${MAX_EVENT_PAGE}` }
    }
    filter.limit = limit
  }
  return { ok: true, filter }
}
