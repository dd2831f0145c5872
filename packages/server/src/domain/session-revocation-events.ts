/**
 * The `session_revoked` events of the security record. Revocations carry a free-text reason in the store
 * (`sessions.revoked_reason`); the record maps it onto the closed set of causes its readers switch on.
 */

import type { SessionRevocationCause } from './security-event-types.ts'
import type { SecurityRecorder } from './security-record.ts'

const CAUSES: Readonly<Record<string, SessionRevocationCause>> = {
  logout: 'logout',
  user_revoked: 'user',
  user_revoked_all: 'revoke_all',
  password_changed: 'password_change',
  refresh_token_reused: 'reuse',
  user_disabled: 'admin',
  admin_revoked: 'admin',
  token_revoked: 'token_revoked',
  user_barred: 'user_barred',
  suspicious_refresh: 'suspicious_refresh',
}

/**
 * The cause a revocation reason is recorded under; `other` for a reason this release does not know.
 *
 * @example
 * revocationCauseOf('user_revoked_all') // 'revoke_all'
 */
export function revocationCauseOf(reason: string): SessionRevocationCause {
  return Object.hasOwn(CAUSES, reason) ? (CAUSES[reason] ?? 'other') : 'other'
}

/**
 * Records that sessions of one user ended: one event naming the session when one ended, one event with the
 * count when a call ended several (so revoking a thousand sessions is one row, not a thousand), nothing
 * when none did.
 *
 * @example
 * await recordSessionsRevoked(deps.securityRecord, { userId, sessionIds: [id], reason: 'logout' })
 */
export async function recordSessionsRevoked(
  recorder: SecurityRecorder | undefined,
  revoked: {
    readonly userId: string
    readonly sessionIds: readonly string[]
    readonly reason: string
    readonly clientId?: string
  },
): Promise<void> {
  const [first, ...others] = revoked.sessionIds
  if (recorder === undefined || first === undefined) return
  const cause = revocationCauseOf(revoked.reason)
  await recorder.record({
    type: 'session_revoked',
    userId: revoked.userId,
    sessionId: others.length === 0 ? first : null,
    clientId: revoked.clientId ?? null,
    details: others.length === 0 ? { cause } : { cause, sessions: revoked.sessionIds.length },
  })
}

/**
 * Records a refresh-token reuse (RFC 9700 §4.14.2) and the end of the session it caused, with the address
 * and user agent of whoever presented the rotated token.
 *
 * @example
 * await recordReuseDetected(deps.securityRecord, outcome.session, context)
 */
export async function recordReuseDetected(
  recorder: SecurityRecorder | undefined,
  session: { readonly id: string; readonly userId: string; readonly clientId: string },
  presenter: { readonly ip: string | null; readonly userAgent: string | null },
): Promise<void> {
  if (recorder === undefined) return
  const subject = { userId: session.userId, sessionId: session.id, clientId: session.clientId, ...presenter }
  await recorder.record({ ...subject, type: 'refresh_reuse_detected', details: {} })
  await recorder.record({ ...subject, type: 'session_revoked', details: { cause: 'reuse' } })
}
