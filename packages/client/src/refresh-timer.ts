import { readAccessTokenTimes, refreshDelayMs } from './access-token-timing.ts'
import { TesseraClientError } from './client-error.ts'
import type { Timers } from './timers.ts'

/** After a failed proactive refresh that may succeed later (network, 5xx), try again this much later. */
const RETRY_AFTER_FAILURE_MS = 15_000

export interface RefreshTimerOptions {
  readonly timers: Timers
  readonly leewaySeconds: number
  /** The client's single-flight refresh. */
  readonly refresh: () => Promise<void>
  /** Whether this token is still the one in memory (it may have been replaced or forgotten meanwhile). */
  readonly isCurrent: (accessToken: string) => boolean
}

/**
 * The proactive refresh: one timer, set `leewaySeconds` before the token's expiry (see
 * access-token-timing.ts for why the delay is measured from the token's arrival). A failure that may pass
 * (network, 5xx) is retried while the token is current; if it lapses meanwhile, the next 401 refreshes
 * reactively.
 *
 * @example
 * const timer = new RefreshTimer({ timers: platformTimers, leewaySeconds: 30, refresh, isCurrent })
 * timer.schedule(accessToken, Date.now())
 */
export class RefreshTimer {
  readonly #options: RefreshTimerOptions
  #handle: unknown

  constructor(options: RefreshTimerOptions) {
    this.#options = options
  }

  /** Replaces any pending refresh with one for this token, which arrived at `receivedAtMs`. */
  schedule(accessToken: string, receivedAtMs: number): void {
    this.cancel()
    const times = readAccessTokenTimes(accessToken)
    if (times === undefined) return
    const nowMs = Date.now()
    const delayMs = refreshDelayMs(times, {
      leewaySeconds: this.#options.leewaySeconds,
      nowSeconds: nowMs / 1000,
    })
    // A token adopted from another tab arrived earlier than now: count from its arrival.
    const dueMs = Math.max(1000, delayMs - Math.max(0, nowMs - receivedAtMs))
    this.#handle = this.#options.timers.setTimeout(() => this.#fire(accessToken), dueMs)
  }

  /** Drops the pending refresh, if any. */
  cancel(): void {
    this.#options.timers.clearTimeout(this.#handle)
    this.#handle = undefined
  }

  #fire(accessToken: string): void {
    this.#handle = undefined
    if (!this.#options.isCurrent(accessToken)) return
    this.#options.refresh().catch((error: unknown) => {
      if (!(error instanceof TesseraClientError) || !error.retryable) return
      if (!this.#options.isCurrent(accessToken) || this.#handle !== undefined) return
      this.#handle = this.#options.timers.setTimeout(() => this.#fire(accessToken), RETRY_AFTER_FAILURE_MS)
    })
  }
}
