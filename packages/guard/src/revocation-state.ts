import type { AccessTokenClaims } from '@tessera/core'
import { GuardError } from './guard-errors.ts'

/**
 * What the guard knows about revocations, in memory, so that checking a token costs two map lookups and no
 * network call (SPEC §5): revoked session ids, and per-user not-before times ("every token issued before
 * this instant is revoked", after a password change or "sign out everywhere").
 *
 * An entry only matters while a token it condemns can still be unexpired, so it is kept for the feed's
 * window (the longest token lifetime plus leeway) after its instant, then dropped.
 */
export class RevocationState {
  // sid → instant of revocation; sub → not-before instant. Epoch seconds.
  readonly #sessions = new Map<string, number>()
  readonly #users = new Map<string, number>()
  #windowSeconds: number
  #nextPruneAt = 0

  /** `windowSeconds`: how long an entry is kept until the feed's snapshot states its own window. */
  constructor(windowSeconds: number) {
    this.#windowSeconds = windowSeconds
  }

  /** The feed's `window_seconds` (from a snapshot) replaces the default. */
  setWindowSeconds(windowSeconds: number): void {
    this.#windowSeconds = windowSeconds
  }

  /** Records revoked sessions. A later revocation of the same session keeps the later instant. */
  revokeSessions(sessionIds: readonly string[], at: number, nowSeconds: number): void {
    for (const sid of sessionIds) this.#sessions.set(sid, Math.max(at, this.#sessions.get(sid) ?? at))
    this.#pruneSometimes(nowSeconds)
  }

  /** Moves a user's not-before forward; it never moves back (an older event replayed changes nothing). */
  setUserNotBefore(subject: string, at: number, nowSeconds: number): void {
    this.#users.set(subject, Math.max(at, this.#users.get(subject) ?? at))
    this.#pruneSometimes(nowSeconds)
  }

  /**
   * Refuses a token of a revoked session (`session_revoked`) or one issued before its user's not-before
   * (`revoked`).
   *
   * @example
   * state.check(claims) // throws GuardError('session_revoked') after a logout
   */
  check(claims: AccessTokenClaims): void {
    if (claims.sid !== undefined && this.#sessions.has(claims.sid)) throw new GuardError('session_revoked')
    const notBefore = this.#users.get(claims.sub)
    if (notBefore !== undefined && claims.iat < notBefore) throw new GuardError('revoked')
  }

  /** Entry counts, for tests and diagnostics. */
  get size(): { readonly sessions: number; readonly users: number } {
    return { sessions: this.#sessions.size, users: this.#users.size }
  }

  /** Drops every entry whose window has passed. */
  prune(nowSeconds: number): void {
    const oldest = nowSeconds - this.#windowSeconds
    for (const [sid, at] of this.#sessions) if (at < oldest) this.#sessions.delete(sid)
    for (const [sub, at] of this.#users) if (at < oldest) this.#users.delete(sub)
    this.#nextPruneAt = nowSeconds + 60
  }

  // A full sweep at most once a minute, on the write path, so the check path never pays for it.
  #pruneSometimes(nowSeconds: number): void {
    if (nowSeconds >= this.#nextPruneAt) this.prune(nowSeconds)
  }
}
