/**
 * Rows of `security_events` (migration 0005) to records, checked column by column like `parse-records.ts`.
 * The details column is JSON text read back from the database, so it is parsed as untrusted input: core's
 * strict parser (no duplicate members, null-prototype objects), one level deep, flat values only.
 */
import { parseStrictJson } from '@tessera/core'
import type { SecurityDetails, SecurityDetailValue, SecurityEventRecord } from '../security-ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { readRow } from './row-reader.ts'

const MAX_TYPE_CHARS = 64
const MAX_USER_AGENT_CHARS = 512
const DETAILS_EXPECTED = 'a JSON object of text, integer, boolean or null values'

function isDetailValue(value: unknown): value is SecurityDetailValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  return typeof value === 'number' && Number.isSafeInteger(value)
}

/**
 * Parses an event's `details` JSON text; throws `StoreRowInvalidError` for anything but a flat object.
 *
 * @example
 * parseSecurityDetails('{"cause":"logout"}') // { cause: 'logout' }
 */
export function parseSecurityDetails(text: string): SecurityDetails {
  let parsed: unknown
  try {
    // Depth 1: the object itself; a nested object or array fails the parse.
    parsed = parseStrictJson(text, { maxDepth: 1 })
  } catch {
    throw new StoreRowInvalidError('security_events.details', DETAILS_EXPECTED)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StoreRowInvalidError('security_events.details', DETAILS_EXPECTED)
  }
  const details: Record<string, SecurityDetailValue> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (!isDetailValue(value)) throw new StoreRowInvalidError('security_events.details', DETAILS_EXPECTED)
    details[key] = value
  }
  return details
}

/**
 * Parses a `security_events` row.
 *
 * @example
 * const events = rows.map(parseSecurityEventRow)
 */
export function parseSecurityEventRow(row: unknown): SecurityEventRecord {
  const r = readRow('security_events', row)
  const type = r.text('type')
  if (type.length < 1 || type.length > MAX_TYPE_CHARS) {
    throw new StoreRowInvalidError('security_events.type', `1–${MAX_TYPE_CHARS} characters`)
  }
  const userAgent = r.nullableText('user_agent')
  if (userAgent !== null && userAgent.length > MAX_USER_AGENT_CHARS) {
    throw new StoreRowInvalidError('security_events.user_agent', `at most ${MAX_USER_AGENT_CHARS} characters`)
  }
  return {
    id: r.text('id'),
    at: r.instant('at'),
    type,
    userId: r.nullableText('user_id'),
    sessionId: r.nullableText('session_id'),
    clientId: r.nullableText('client_id'),
    ip: r.nullableText('ip'),
    userAgent,
    details: parseSecurityDetails(r.text('details')),
  }
}
