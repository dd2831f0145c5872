import type { Clock } from '@tessera/core'
import { createRedisConnection, EventStreamReader, eventStreamKeys } from '@tessera/redis'
import { applyFeedEvent } from './revocation-events.ts'
import type { RevocationSource } from './revocation-gate.ts'
import type { RevocationState } from './revocation-state.ts'

export interface RedisRevocationFeedOptions {
  readonly url: string
  readonly keyPrefix: string
  readonly state: RevocationState
  readonly clock: Clock
  readonly maxSilenceSeconds: number
  /** A `keys_changed` entry: the issuer's key ring changed. */
  readonly onKeysChanged: () => void
}

/**
 * The guard's revocation source in a scale-out deployment: Tessera's Redis event stream (see
 * `@tessera/redis`), read from its beginning — the retained window is the snapshot — and then followed with
 * `XREAD BLOCK`. Entries carry the same data as the SSE feed's events and go through the same strict
 * `applyFeedEvent`. The feed is live while reads succeed (an empty read every 5 s is a sign of life); a guard
 * whose Redis returns after an outage reads on from the last entry it saw, missing nothing.
 *
 * @example
 * const feed = new RedisRevocationFeed({ url, keyPrefix: 'tessera:', state, clock, maxSilenceSeconds: 30,
 *   onKeysChanged: () => keys.refreshSoon() })
 */
export class RedisRevocationFeed implements RevocationSource {
  readonly #reader: EventStreamReader
  readonly #options: RedisRevocationFeedOptions

  constructor(options: RedisRevocationFeedOptions) {
    this.#options = options
    this.#reader = new EventStreamReader({
      redis: createRedisConnection(options.url, { name: 'guard-events', blocking: true }),
      keys: eventStreamKeys(options.keyPrefix),
      from: 'beginning',
      nowSeconds: () => options.clock.nowSeconds(),
      onEvent: (event) => {
        if (event.type === 'keys_changed') {
          options.onKeysChanged()
          return
        }
        applyFeedEvent(
          { type: event.type, data: event.data, lastEventId: event.id },
          options.state,
          options.clock.nowSeconds(),
        )
      },
    })
  }

  get connected(): boolean {
    return this.#reader.health().connected
  }

  get lastEventAt(): number | undefined {
    return this.#reader.lastHeardAt
  }

  /** Entries refused as malformed (counted, never silently skipped). */
  get rejectedEvents(): number {
    return this.#reader.health().rejectedEvents
  }

  isLive(nowSeconds: number): boolean {
    return this.#reader.isLive(nowSeconds, this.#options.maxSilenceSeconds)
  }

  whenFirstEvent(timeoutMs: number): Promise<void> {
    return this.#reader.whenCaughtUp(timeoutMs)
  }

  close(): Promise<void> {
    return this.#reader.close()
  }
}
