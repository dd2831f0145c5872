import { type Clock, encodeBase64url, type RandomSource } from '@tessera/core'
import type { SessionRecord, Store, UserRecord } from '../store/ports.ts'
import { newId } from './ids.ts'
import { hashRefreshToken, mintRefreshToken, type RefreshTokenKeys } from './refresh-token-format.ts'
import type { RevocationBus } from './revocation-bus.ts'
import type { SecurityRecorder } from './security-record.ts'
import { recordSessionsRevoked } from './session-revocation-events.ts'
import type { SuspiciousRefreshMode } from './suspicious-refresh.ts'
import { type createTokenIssuer, hashFingerprint, type IssuedAccessToken } from './token-issuer.ts'

export interface SessionPolicy {
  readonly idleSeconds: number
  readonly absoluteSeconds: number
  readonly graceSeconds: number
}

export interface SessionDeps {
  readonly store: Store
  readonly clock: Clock
  readonly random: RandomSource
  readonly tokens: ReturnType<typeof createTokenIssuer>
  readonly refreshKeys: RefreshTokenKeys
  readonly policy: SessionPolicy
  readonly revocations: RevocationBus
  /** Where revocations, reuse and suspicious refreshes are recorded; nothing is recorded without it. */
  readonly securityRecord?: SecurityRecorder
  /** The suspicious-refresh control (suspicious-refresh.ts); `allow` when absent. */
  readonly suspiciousRefresh?: SuspiciousRefreshMode
}

/** Who is asking: recorded on the session, and the client a refresh must come from. */
export interface ClientContext {
  readonly clientId: string
  readonly ip: string | null
  readonly userAgent: string | null
  /** Browser mode: bind the access token to a fresh fingerprint cookie. */
  readonly bindFingerprint: boolean
  /**
   * RFC 7638 thumbprint of the key whose valid DPoP proof came with the request (RFC 9449): a new session
   * is bound to it, and a refresh must carry it. Absent without a proof.
   */
  readonly dpopJkt?: string
}

/** A token response before it is put on the wire. */
export interface IssuedSession {
  readonly access: IssuedAccessToken
  readonly refreshToken: string
  readonly session: SessionRecord
  /** The fingerprint cookie value, in browser mode. */
  readonly fingerprint: string | undefined
}

/**
 * Issues an access token for a session, with a new fingerprint value when the context asks for binding. A
 * DPoP-bound session's tokens carry its key's thumbprint as `cnf.jkt` (RFC 9449 §6.1): the binding follows
 * the session, whose key every refresh has already proven.
 *
 * @example
 * const { access, fingerprint } = issueAccess(deps, user.id, session, context)
 */
export function issueAccess(
  deps: SessionDeps,
  userId: string,
  session: SessionRecord,
  context: ClientContext,
): { access: IssuedAccessToken; fingerprint: string | undefined } {
  const fingerprint = context.bindFingerprint ? encodeBase64url(deps.random.bytes(32)) : undefined
  const access = deps.tokens.issue({
    userId,
    sessionId: session.id,
    clientId: session.clientId,
    ...(fingerprint === undefined ? {} : { fingerprintHash: hashFingerprint(fingerprint) }),
    ...(session.dpopJkt === null ? {} : { dpopJkt: session.dpopJkt }),
  })
  return { access, fingerprint }
}

/**
 * Starts a new session (one per login per device) with its first refresh token and an access token.
 *
 * @example
 * const issued = await startSession(deps, user, { clientId: 'tessera', ip, userAgent, bindFingerprint: true })
 */
export async function startSession(
  deps: SessionDeps,
  user: UserRecord,
  context: ClientContext,
): Promise<IssuedSession> {
  const now = deps.clock.nowSeconds()
  const expiresAt = now + deps.policy.absoluteSeconds
  const refresh = mintRefreshToken(deps.refreshKeys, deps.random)
  const session = await deps.store.sessions.start(
    {
      id: newId('ses'),
      userId: user.id,
      clientId: context.clientId,
      createdAt: now,
      expiresAt,
      ip: context.ip,
      userAgent: context.userAgent,
      dpopJkt: context.dpopJkt ?? null,
    },
    {
      id: newId('rt'),
      tokenHash: hashRefreshToken(refresh.text),
      expiresAt: Math.min(now + deps.policy.idleSeconds, expiresAt),
    },
  )
  const { access, fingerprint } = issueAccess(deps, user.id, session, context)
  return { access, refreshToken: refresh.text, session, fingerprint }
}

/**
 * Tells the guards (through the revocation bus) that one session ended.
 *
 * @example
 * announceSessionRevoked(deps, session, now)
 */
export function announceSessionRevoked(
  deps: SessionDeps,
  session: Pick<SessionRecord, 'id' | 'userId'>,
  at: number,
): void {
  deps.revocations.publish({ type: 'session_revoked', sessionIds: [session.id], userId: session.userId, at })
}

/**
 * Revokes one session of a user and tells the guards. Resolves false when the session is not the user's
 * or was not active (callers answer 404 rather than reveal other users' session ids).
 *
 * @example
 * if (!(await revokeSession(deps, auth.userId, params.id, 'user_revoked'))) return notFound()
 */
export async function revokeSession(
  deps: SessionDeps,
  userId: string,
  sessionId: string,
  reason: string,
): Promise<boolean> {
  const session = await deps.store.sessions.findById(sessionId)
  if (!session || session.userId !== userId) return false
  const at = deps.clock.nowSeconds()
  const changed = await deps.store.sessions.revoke(sessionId, { at, reason })
  if (changed) announceSessionRevoked(deps, session, at)
  const revoked = { userId, sessionIds: [sessionId], reason, clientId: session.clientId }
  if (changed) await recordSessionsRevoked(deps.securityRecord, revoked)
  return changed
}

/**
 * Revokes every active session of a user, optionally keeping one (the caller's own). Without an exception
 * this is "revoke everything issued before now" (SPEC §2): the user's not-before moves to now as well, so
 * tokens that belong to no session (minted for the user) die too, and every guard hears of it.
 *
 * @example
 * await revokeAllSessions(deps, user.id, { reason: 'password_changed', exceptSessionId: auth.sessionId })
 */
export async function revokeAllSessions(
  deps: SessionDeps,
  userId: string,
  options: { readonly reason: string; readonly exceptSessionId?: string },
): Promise<readonly string[]> {
  const at = deps.clock.nowSeconds()
  const sessionIds = await deps.store.sessions.revokeAllForUser(userId, { at, ...options })
  deps.revocations.publish({ type: 'session_revoked', sessionIds, userId, at })
  await recordSessionsRevoked(deps.securityRecord, { userId, sessionIds, reason: options.reason })
  if (options.exceptSessionId === undefined) {
    await deps.store.users.raiseNotBefore(userId, at)
    deps.revocations.publish({ type: 'user_not_before', userId, at })
  }
  return sessionIds
}
