import type { ReasonCode } from '@tessera/core'
import type { UserRecord } from '../store/ports.ts'
import { newId } from './ids.ts'
import { deriveSuccessorToken, hashRefreshToken, parseRefreshToken } from './refresh-token-format.ts'
import { recordReuseDetected, recordSessionsRevoked } from './session-revocation-events.ts'
import {
  announceSessionRevoked,
  type ClientContext,
  type IssuedSession,
  issueAccess,
  type SessionDeps,
} from './sessions.ts'
import { checkSuspiciousRefresh } from './suspicious-refresh.ts'

export type RefreshOutcome =
  | {
      readonly ok: true
      readonly issued: IssuedSession
      /** The session's user, read in the rotation's own transaction: the token response needs no other read. */
      readonly user: UserRecord
      readonly replayedWithinGrace: boolean
    }
  | {
      readonly ok: false
      readonly reason: Extract<
        ReasonCode,
        | 'invalid_refresh_token'
        | 'refresh_token_reused'
        | 'refresh_token_expired'
        | 'session_revoked'
        | 'dpop_invalid'
      >
    }

/**
 * What happens on refresh (SPEC §2, RFC 9700 §4.14.2):
 * 1. The token is checked in memory (prefix, length, encoding, HMAC tag): garbage never reaches the store.
 * 2. Its successor is derived from it, so every caller holding the same token computes the same successor.
 * 3. One store transaction decides: the first caller rotates; a caller within the grace window gets the
 *    same successor (parallel tabs, retries, lost responses); a caller after the window is treated as a thief
 *    and the whole session dies, for the honest holder too, because we cannot tell which of them is honest.
 * 3a. A DPoP-bound session refreshes only with a proof by its key, checked before the token's state, so a
 *    thief without the key cannot set off reuse detection against the honest holder (RFC 9449 §5).
 * 4. A session whose user was disabled or whose user-wide not-before has passed is revoked, not refreshed.
 *    The user comes from the rotation's own transaction (one read fewer per refresh).
 * 5. The suspicious-refresh control (suspicious-refresh.ts) compares this use with the session's last one;
 *    in `revoke` mode a change of network or client ends the session. Reuse and revocations are recorded.
 *
 * @example
 * const outcome = await refreshSession(deps, body.refresh_token, context)
 * if (!outcome.ok) throw createError(outcome.reason)
 */
export async function refreshSession(
  deps: SessionDeps,
  presented: unknown,
  context: ClientContext,
): Promise<RefreshOutcome> {
  const parsed = parseRefreshToken(presented, deps.refreshKeys)
  if (!parsed) return { ok: false, reason: 'invalid_refresh_token' }
  const successor = deriveSuccessorToken(parsed, deps.refreshKeys)
  const successorHash = hashRefreshToken(successor.text)
  const now = deps.clock.nowSeconds()
  const tokenHash = hashRefreshToken(parsed.text)
  const outcome = await deps.store.sessions.rotateRefreshToken({
    tokenHash,
    successor: { id: newId('rt'), tokenHash: successorHash },
    now,
    idleSeconds: deps.policy.idleSeconds,
    graceSeconds: deps.policy.graceSeconds,
    clientId: context.clientId,
    dpopJkt: context.dpopJkt ?? null,
    ip: context.ip,
    userAgent: context.userAgent,
  })

  switch (outcome.kind) {
    case 'unknown':
    case 'client_mismatch':
      // A token of another client is answered like an unknown one: no oracle for which tokens exist.
      return { ok: false, reason: 'invalid_refresh_token' }
    case 'dpop_mismatch':
      // RFC 9449 §5: the refresh token is bound to a key this request did not prove; nothing was changed.
      return { ok: false, reason: 'dpop_invalid' }
    case 'expired':
      return { ok: false, reason: 'refresh_token_expired' }
    case 'session_revoked':
      return { ok: false, reason: 'session_revoked' }
    case 'reused':
      announceSessionRevoked(deps, outcome.session, now)
      await recordReuseDetected(deps.securityRecord, outcome.session, context)
      return { ok: false, reason: 'refresh_token_reused' }
    case 'rotated':
    case 'grace': {
      if (outcome.successor.tokenHash !== successorHash) {
        // The stored successor was not derived from this token (secret changed between instances): refuse
        // rather than hand out a token whose hash the store does not know.
        return { ok: false, reason: 'invalid_refresh_token' }
      }
      const { user } = outcome
      const isUserBarred =
        !user || user.disabled || (user.notBeforeAt !== null && user.notBeforeAt > outcome.session.createdAt)
      if (isUserBarred) {
        await deps.store.sessions.revoke(outcome.session.id, { at: now, reason: 'user_barred' })
        announceSessionRevoked(deps, outcome.session, now)
        const { userId, id } = outcome.session
        await recordSessionsRevoked(deps.securityRecord, { userId, sessionIds: [id], reason: 'user_barred' })
        return { ok: false, reason: 'session_revoked' }
      }
      // The rotation hands back the session's last use, which it overwrote: no read before it.
      const suspicion = { session: outcome.session, previous: outcome.previousUse, context, now }
      const verdict = await checkSuspiciousRefresh(deps, suspicion)
      if (verdict === 'revoked') return { ok: false, reason: 'session_revoked' }
      const { access, fingerprint } = issueAccess(deps, user.id, outcome.session, context)
      return {
        ok: true,
        issued: { access, refreshToken: successor.text, session: outcome.session, fingerprint },
        user,
        replayedWithinGrace: outcome.kind === 'grace',
      }
    }
  }
}
