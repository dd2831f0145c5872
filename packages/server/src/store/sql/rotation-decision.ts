/**
 * The decision of the refresh state machine (`Sessions.rotateRefreshToken`), as one pure function: given
 * the session, the presented token and the instant, what happens. Every path that rotates asks it — the
 * shared write transaction (`rotate-refresh-token.ts`) and PostgreSQL's one-statement attempt
 * (`postgres/rotate-in-one-statement.ts`) — so the order of the checks lives here and nowhere else.
 */
import type {
  RefreshTokenRecord,
  RotateInput,
  RotateOutcome,
  SessionRecord,
  SessionUse,
  UserRecord,
} from '../ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'

/** What the state machine reads: the session (locked where rows lock), one token of it, and its user. */
export interface RotationSubject {
  readonly session: SessionRecord
  readonly token: RefreshTokenRecord
  /** Undefined only when the user row is gone, which the foreign key forbids (a hand edit could do it). */
  readonly user: UserRecord | undefined
}

/** A refusal that writes nothing. */
export type RotationRefusal = Extract<
  RotateOutcome,
  { kind: 'session_revoked' | 'expired' | 'client_mismatch' | 'dpop_mismatch' }
>

/**
 * - `rotate`: the token is live: retire it, store the successor, record the use.
 * - `replay_within_grace`: rotated moments ago; answer with the existing successor.
 * - `revoke_family`: rotated before the grace window; the whole session dies.
 * - `refuse`: answer `outcome` and write nothing.
 */
export type RotationStep =
  | { readonly kind: 'rotate' }
  | { readonly kind: 'replay_within_grace'; readonly successorId: string }
  | { readonly kind: 'revoke_family' }
  | { readonly kind: 'refuse'; readonly outcome: RotationRefusal }

/**
 * Decides what a rotation of `subject.token` at `input.now` by `input.clientId` does. Checks, in order:
 * revoked session or token, another client, another DPoP key, idle or absolute expiry, then the token's state.
 *
 * @example
 * const step = decideRotation({ session, token, user }, input)
 * if (step.kind === 'refuse') return step.outcome
 */
export function decideRotation(
  subject: RotationSubject,
  input: Pick<RotateInput, 'now' | 'clientId' | 'graceSeconds' | 'dpopJkt'>,
): RotationStep {
  const { session, token } = subject
  const { now } = input
  if (session.state === 'revoked' || token.state === 'revoked') {
    return { kind: 'refuse', outcome: { kind: 'session_revoked', session } }
  }
  // Another client's token is refused even after the grace window: it must not be able to kill the family.
  if (session.clientId !== input.clientId) {
    return { kind: 'refuse', outcome: { kind: 'client_mismatch' } }
  }
  // RFC 9449 §5: a bound session's refresh token is usable only with a proof by the session's key. Checked
  // before the token's state, so a thief holding an old token but not the key cannot set off reuse
  // detection and end the honest holder's session. An unbound session refuses a proof too: its binding is
  // fixed when it starts, never upgraded or dropped on the way.
  if (session.dpopJkt !== input.dpopJkt) {
    return { kind: 'refuse', outcome: { kind: 'dpop_mismatch' } }
  }
  if (token.expiresAt <= now || session.expiresAt <= now) {
    return { kind: 'refuse', outcome: { kind: 'expired' } }
  }
  if (token.state === 'active') return { kind: 'rotate' }
  if (token.rotatedAt === null) {
    throw new StoreRowInvalidError('refresh_tokens.rotated_at', 'an instant on a rotated token')
  }
  if (token.successorId === null) {
    throw new StoreRowInvalidError('refresh_tokens.successor_id', 'an id on a rotated token')
  }
  // Parallel tabs, retries and lost responses present the parent again within seconds: same successor.
  if (now - token.rotatedAt <= input.graceSeconds) {
    return { kind: 'replay_within_grace', successorId: token.successorId }
  }
  // RFC 9700 §4.14.2: a rotated token seen again after the grace window means two parties hold the
  // family, one of them a thief; kill the whole family.
  return { kind: 'revoke_family' }
}

/**
 * The address and user agent the session recorded before this rotation, which the rotation overwrites.
 *
 * @example
 * return { kind: 'rotated', …, previousUse: previousUseOf(subject) }
 */
export function previousUseOf(subject: RotationSubject): SessionUse {
  return { ip: subject.session.ip, userAgent: subject.session.userAgent }
}

/**
 * The rows a rotation leaves behind, computed rather than read back: the session with this use recorded,
 * and the successor token. The shared transaction writes exactly these values; PostgreSQL's one statement
 * computes the same ones in SQL from the row it locked (its test compares them with the stored rows).
 *
 * @example
 * const { session, successor } = rotationResult(subject, input)
 */
export function rotationResult(
  subject: RotationSubject,
  input: RotateInput,
): { readonly session: SessionRecord; readonly successor: RefreshTokenRecord } {
  const { session } = subject
  return {
    session: { ...session, lastUsedAt: input.now, ip: input.ip, userAgent: input.userAgent },
    successor: {
      id: input.successor.id,
      sessionId: session.id,
      tokenHash: input.successor.tokenHash,
      state: 'active',
      createdAt: input.now,
      // The idle lifetime restarts; the session's absolute end does not move.
      expiresAt: Math.min(input.now + input.idleSeconds, session.expiresAt),
      rotatedAt: null,
      successorId: null,
    },
  }
}
