import type { Clock } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import type { RevocationBus } from './revocation-bus.ts'

export interface RevocationPollerOptions {
  readonly bus: RevocationBus
  readonly store: Store
  readonly clock: Clock
  /**
   * How far each poll reaches back before the previous one: covers clock skew between instances and a
   * revocation committed in the same second as the last poll. Default 5 s.
   */
  readonly overlapSeconds?: number
}

const DEFAULT_OVERLAP_SECONDS = 5

/**
 * Carries revocations that another process wrote to the shared database (another instance, the CLI) onto
 * this instance's revocation bus, so the guards following this instance's feed hear of them within a poll
 * interval rather than at their next reconnect. Revocations this process published itself are remembered
 * and not repeated. With Redis pub/sub (scale-out) this becomes a fallback; without it, it is what makes
 * several instances on one database act as one.
 *
 * @example
 * const poller = new RevocationPoller({ bus, store, clock })
 * setInterval(() => void poller.poll(), 1000)
 */
export class RevocationPoller {
  readonly #options: RevocationPollerOptions
  readonly #overlapSeconds: number
  /** Session id → revocation instant, of every revocation already on the bus. */
  readonly #knownSessions = new Map<string, number>()
  /** User id → the newest not-before already on the bus. */
  readonly #knownNotBefore = new Map<string, number>()
  readonly #stopListening: () => void
  #cursor: number
  #polling: Promise<number> | undefined

  constructor(options: RevocationPollerOptions) {
    this.#options = options
    this.#overlapSeconds = options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS
    this.#cursor = options.clock.nowSeconds()
    this.#stopListening = options.bus.subscribe((event) => {
      if (event.type === 'session_revoked') {
        for (const id of event.sessionIds) this.#knownSessions.set(id, event.at)
      } else {
        this.#knownNotBefore.set(
          event.userId,
          Math.max(event.at, this.#knownNotBefore.get(event.userId) ?? 0),
        )
      }
    })
  }

  /**
   * Reads what was revoked since the last poll and publishes what the bus has not carried yet; resolves how
   * many events it published. Concurrent calls share one read.
   *
   * @example
   * const published = await poller.poll()
   */
  poll(): Promise<number> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = undefined
    })
    return this.#polling
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#stopListening()
  }

  async #pollOnce(): Promise<number> {
    const now = this.#options.clock.nowSeconds()
    const since = this.#cursor - this.#overlapSeconds
    const [sessions, users] = await Promise.all([
      this.#options.store.sessions.listRevokedSince(since),
      this.#options.store.users.listNotBeforeSince(since),
    ])
    let published = 0
    for (const session of sessions) {
      if (this.#knownSessions.has(session.sessionId)) continue
      this.#options.bus.publish({
        type: 'session_revoked',
        sessionIds: [session.sessionId],
        userId: session.userId,
        at: session.revokedAt,
        source: 'database',
      })
      published += 1
    }
    for (const user of users) {
      if ((this.#knownNotBefore.get(user.userId) ?? -1) >= user.notBeforeAt) continue
      this.#options.bus.publish({
        type: 'user_not_before',
        userId: user.userId,
        at: user.notBeforeAt,
        source: 'database',
      })
      published += 1
    }
    this.#cursor = now
    this.#forgetBefore(since - this.#overlapSeconds)
    return published
  }

  /** Keeps memory bounded: what is older than any future poll's reach can never be read again. */
  #forgetBefore(instant: number): void {
    for (const [id, at] of this.#knownSessions) if (at < instant) this.#knownSessions.delete(id)
    for (const [id, at] of this.#knownNotBefore) if (at < instant) this.#knownNotBefore.delete(id)
  }
}
