/**
 * The one outside shape of a security event: `GET /v1/admin/events`, `tessera events --json` and the
 * webhook body all show events exactly like this, so a consumer parses one format wherever it reads them.
 */
import type { SecurityDetails, SecurityEventCursor, SecurityEventRecord } from '../store/security-ports.ts'

/** A security event as the API, the CLI and the webhook show it. */
export interface SecurityEventView {
  readonly id: string
  readonly type: string
  /** Epoch seconds. */
  readonly at: number
  readonly user_id: string | null
  readonly session_id: string | null
  readonly client_id: string | null
  readonly ip: string | null
  readonly user_agent: string | null
  readonly details: SecurityDetails
}

/** `evt_` + the event's epoch second as 10 hex digits + 80 random bits as 20 hex digits. */
const EVENT_ID = /^evt_([0-9a-f]{10})[0-9a-f]{20}$/

/**
 * The outside view of a stored event.
 *
 * @example
 * reply.send({ events: events.map(securityEventView) })
 */
export function securityEventView(event: SecurityEventRecord): SecurityEventView {
  return {
    id: event.id,
    type: event.type,
    at: event.at,
    user_id: event.userId,
    session_id: event.sessionId,
    client_id: event.clientId,
    ip: event.ip,
    user_agent: event.userAgent,
    details: event.details,
  }
}

/**
 * A new event id for an event at `at`: ids sort by time to the second, and the random part makes two
 * events of the same second distinct (and their order among themselves arbitrary).
 *
 * @example
 * newSecurityEventId(1700000000, cryptoRandom) // 'evt_006553f100' + 20 random hex digits
 */
export function newSecurityEventId(at: number, random: { bytes(length: number): Buffer }): string {
  return `evt_${at.toString(16).padStart(10, '0')}${random.bytes(10).toString('hex')}`
}

/**
 * The cursor of a listing page, from the id of its last event (the id carries the event's second), or
 * undefined for text that is not an event id. The text is the `cursor` a client sends back, so it is
 * untrusted: anything but the exact id shape is refused.
 *
 * @example
 * parseEventCursor(page.at(-1).id) // { at: 1700000000, id: 'evt_…' }
 */
export function parseEventCursor(text: unknown): SecurityEventCursor | undefined {
  if (typeof text !== 'string') return undefined
  const match = EVENT_ID.exec(text)
  const hexAt = match?.[1]
  if (hexAt === undefined) return undefined
  const at = Number.parseInt(hexAt, 16)
  return Number.isSafeInteger(at) ? { at, id: text } : undefined
}
