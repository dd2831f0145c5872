import { isSessionEndReason, type SessionEndReason } from './client-error.ts'
import { isCompactJws, isPublicUser, type PublicUser } from './token-response.ts'

/**
 * What tabs of one origin tell each other over `BroadcastChannel` (cookie mode only: there all tabs share
 * one session through the one refresh cookie). `atMs` is `Date.now()` of the sender; every tab of an
 * origin runs in one browser, on one clock.
 *
 * The access token travels in `refreshed` and `signed-in`. That is deliberate: a BroadcastChannel reaches
 * only same-origin scripts, which could already call `/v1/refresh` with the cookie themselves, so sharing
 * exposes nothing new — and it is required, not just economical: every refresh sets a new fingerprint
 * cookie (SPEC §3), which makes every other tab's old token fail with `fingerprint_mismatch`. A tab that
 * adopts the new token keeps working without a refresh of its own (which would rotate the fingerprint
 * again and start a ping-pong). The refresh token never travels: in cookie mode no script has it.
 */
export type TabMessage =
  | { readonly type: 'refreshing'; readonly atMs: number; readonly id: number }
  | {
      readonly type: 'refreshed'
      readonly atMs: number
      readonly accessToken: string
      readonly user: PublicUser | undefined
    }
  | {
      readonly type: 'signed-in'
      readonly atMs: number
      readonly accessToken: string
      readonly user: PublicUser | undefined
    }
  | { readonly type: 'signed-out'; readonly atMs: number }
  | { readonly type: 'session-ended'; readonly atMs: number; readonly reason: SessionEndReason }

/** A message that settles a refresh another tab is waiting for (all but `refreshing`). */
export type TabNews = Exclude<TabMessage, { readonly type: 'refreshing' }>

/**
 * Parses a message from the channel. Any same-origin script can post there, so the data is untrusted:
 * unknown shapes are dropped, never half-used.
 *
 * @example
 * channel.addEventListener('message', (event) => {
 *   const message = parseTabMessage(event.data)
 *   if (message) handle(message)
 * })
 */
export function parseTabMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const fields = data as Record<string, unknown>
  const { type, atMs } = fields
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs <= 0) return undefined
  const user = fields.user === undefined ? undefined : isPublicUser(fields.user) ? fields.user : null
  switch (type) {
    case 'refreshing':
      return typeof fields.id === 'number' && Number.isFinite(fields.id)
        ? { type, atMs, id: fields.id }
        : undefined
    case 'signed-out':
      return { type, atMs }
    case 'refreshed':
    case 'signed-in':
      if (!isCompactJws(fields.accessToken) || user === null) return undefined
      return { type, atMs, accessToken: fields.accessToken, user }
    case 'session-ended':
      return isSessionEndReason(fields.reason) ? { type, atMs, reason: fields.reason } : undefined
    default:
      return undefined
  }
}
