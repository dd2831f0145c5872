import type { SessionEndReason } from './client-error.ts'
import { RefreshTimer } from './refresh-timer.ts'
import type { Timers } from './timers.ts'

/** `unknown`: cookie mode before the first refresh (a cookie may hold a session from an earlier visit). */
export type SessionState = 'unknown' | 'active' | 'ended'

export interface SessionMemoryOptions {
  readonly mode: 'cookie' | 'token'
  readonly timers: Timers
  readonly leewaySeconds: number
  /** The client's single-flight refresh, for the proactive timer. */
  readonly refresh: () => Promise<void>
}

/**
 * The one place the tokens live: private fields of this object, nowhere else. Not localStorage, not
 * sessionStorage, not a script-written cookie — any script injected into the page later could read those
 * back (OWASP HTML5 Security Cheat Sheet, "Local Storage"); a reload simply restores the session from the
 * HttpOnly refresh cookie (cookie mode). Keeping a token also schedules its proactive refresh.
 *
 * @example
 * const memory = new SessionMemory({ mode: 'token', timers: platformTimers, leewaySeconds: 30, refresh })
 * memory.keep(response.accessToken, Date.now(), response.refreshToken)
 */
export class SessionMemory {
  readonly #mode: 'cookie' | 'token'
  readonly #timer: RefreshTimer
  #accessToken: string | undefined
  #refreshToken: string | undefined
  #tokenAtMs = 0
  #state: SessionState
  #endReason: SessionEndReason | undefined
  #generation = 0
  #isClosed = false

  constructor(options: SessionMemoryOptions) {
    this.#mode = options.mode
    this.#state = options.mode === 'cookie' ? 'unknown' : 'ended'
    this.#timer = new RefreshTimer({
      timers: options.timers,
      leewaySeconds: options.leewaySeconds,
      refresh: options.refresh,
      isCurrent: (accessToken) => this.#accessToken === accessToken,
    })
  }

  get accessToken(): string | undefined {
    return this.#accessToken
  }

  /** Token mode only; in cookie mode no script ever holds the refresh token. */
  get refreshToken(): string | undefined {
    return this.#refreshToken
  }

  /** `Date.now()` when the current state began (a token arrived, here or in another tab; a sign-out). */
  get tokenAtMs(): number {
    return this.#tokenAtMs
  }

  get state(): SessionState {
    return this.#state
  }

  get endReason(): SessionEndReason | undefined {
    return this.#endReason
  }

  /** Bumped by every sign-in, sign-out and news from another tab: a refresh that started before is stale. */
  get generation(): number {
    return this.#generation
  }

  /** Starts a new generation (see {@link generation}). */
  advanceGeneration(): void {
    this.#generation += 1
  }

  /** Keeps a new access token (and, in token mode, its refresh token) and schedules the next refresh. */
  keep(accessToken: string, atMs: number, refreshToken: string | undefined): void {
    this.#accessToken = accessToken
    this.#tokenAtMs = atMs
    if (this.#mode === 'token') this.#refreshToken = refreshToken
    this.#state = 'active'
    this.#endReason = undefined
    if (!this.#isClosed) this.#timer.schedule(accessToken, atMs)
  }

  /** Forgets both tokens and cancels the timer. */
  forget(
    state: SessionState,
    details: { readonly reason?: SessionEndReason; readonly atMs?: number } = {},
  ): void {
    this.#accessToken = undefined
    this.#refreshToken = undefined
    this.#state = state
    this.#endReason = details.reason
    if (details.atMs !== undefined) this.#tokenAtMs = details.atMs
    this.#timer.cancel()
  }

  /** Forgets everything for good (the client's `close()`). */
  close(): void {
    this.#isClosed = true
    this.forget(this.#state)
  }
}
