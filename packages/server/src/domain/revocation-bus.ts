/**
 * In-process fan-out of revocation events. The HTTP revocation feed (SSE) and, with scale-out, Redis
 * pub/sub subscribe here, so guards learn of a revoked session within a second instead of at token expiry.
 */
export type RevocationEvent = (
  | {
      readonly type: 'session_revoked'
      readonly sessionIds: readonly string[]
      readonly userId: string
      readonly at: number
    }
  | { readonly type: 'user_not_before'; readonly userId: string; readonly at: number }
) & {
  /**
   * Where this instance learned of it: absent when it made the revocation itself; `database` when its
   * poller found it written by another process; `stream` when it arrived on the Redis event stream.
   */
  readonly source?: RevocationSource
}

export type RevocationSource = 'database' | 'stream'

export type RevocationListener = (event: RevocationEvent) => void

/** A minimal synchronous publisher; a listener that throws does not stop the others. */
export class RevocationBus {
  readonly #listeners = new Set<RevocationListener>()

  /**
   * Registers a listener; returns the function that removes it.
   *
   * @example
   * const stop = bus.subscribe((event) => feed.push(event))
   */
  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Delivers an event to every listener.
   *
   * @example
   * bus.publish({ type: 'session_revoked', sessionIds: [id], userId, at: now })
   */
  publish(event: RevocationEvent): void {
    if (event.type === 'session_revoked' && event.sessionIds.length === 0) return
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // One broken subscriber must not keep the others from hearing of a revocation.
      }
    }
  }
}
