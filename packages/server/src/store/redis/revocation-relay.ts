import { randomUUID } from 'node:crypto'
import type { Clock } from '@tessera/core'
import {
  appendStreamEvents,
  type EventStreamKeys,
  isStreamSeeded,
  type RedisConnection,
  type StreamEventInput,
} from '@tessera/redis'
import type { RevocationBus, RevocationEvent } from '../../domain/revocation-bus.ts'
import type { Store } from '../ports.ts'

export interface RevocationRelayOptions {
  readonly redis: RedisConnection
  readonly keys: EventStreamKeys
  readonly bus: RevocationBus
  readonly store: Store
  readonly clock: Clock
  /** How long an event matters: the longest token lifetime plus leeway. */
  readonly windowSeconds: number
  /** Called once when appends start failing, and once when they work again. */
  readonly onHealthChange?: (healthy: boolean, error?: unknown) => void
}

/** Events waiting for Redis beyond this are dropped oldest first: the database still has them (see seeding). */
const MAX_PENDING = 100_000
/** Seeding reads the window from the database and appends it in batches of this size. */
const SEED_BATCH = 500

/**
 * Carries this instance's revocations (and those its poller found in the database) onto the Redis event
 * stream, and announces key-ring changes there. It never drops a revocation on a Redis failure: events wait
 * in order and are appended when Redis answers again (`tick`, every half second). Because the stream
 * de-duplicates by identity, every instance may append what it knows; that is what covers an instance that
 * crashed between its database commit and its append.
 *
 * After Redis lost its data (a restart without persistence, an eviction), the stream no longer carries its
 * "seeded" mark; the next tick of any instance re-appends every revocation of the window from the database
 * before setting it, so a guard that starts afresh never reads an empty stream as "nothing is revoked".
 *
 * @example
 * const relay = new RevocationRelay({ redis, keys, bus, store, clock, windowSeconds: 905 })
 * setInterval(() => void relay.tick(), 500)
 */
export class RevocationRelay {
  readonly #options: RevocationRelayOptions
  readonly #stopListening: () => void
  #pending: StreamEventInput[] = []
  #flushing: Promise<void> | undefined
  #healthy = true

  constructor(options: RevocationRelayOptions) {
    this.#options = options
    this.#stopListening = options.bus.subscribe((event) => {
      // What came from the stream is on the stream already.
      if (event.source === 'stream') return
      this.#enqueue(streamEventsOf(event))
      void this.flush()
    })
  }

  /** Events not yet on the stream (waiting for Redis). */
  get pendingCount(): number {
    return this.#pending.length
  }

  /**
   * Announces that the signing key ring changed (a rotation, a first key): every instance reloads its ring
   * and every guard on Redis refetches the JWKS, at once rather than at their next periodic refresh.
   *
   * @example
   * ring = new KeyRing({ …, onChange: () => relay.announceKeysChanged() })
   */
  announceKeysChanged(): void {
    const at = this.#options.clock.nowSeconds()
    this.#enqueue([
      {
        identity: `k:${at}:${randomUUID()}`,
        type: 'keys_changed',
        data: JSON.stringify({ at }),
      },
    ])
    void this.flush()
  }

  /** Appends what is pending; concurrent calls share one append. Never rejects. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  /** Retries what is pending and re-seeds the stream if Redis lost it. Never rejects. */
  async tick(): Promise<void> {
    await this.flush()
    try {
      if (!(await isStreamSeeded(this.#options.redis, this.#options.keys))) await this.#seed()
    } catch (error) {
      this.#setHealthy(false, error)
    }
  }

  /** Stops listening; what is still pending gets one last chance to be appended. */
  async close(): Promise<void> {
    this.#stopListening()
    await this.flush()
  }

  async #flushOnce(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.slice(0, SEED_BATCH)
      try {
        await this.#append(batch, false)
      } catch (error) {
        this.#setHealthy(false, error)
        return
      }
      this.#pending.splice(0, batch.length)
      this.#setHealthy(true)
    }
  }

  async #seed(): Promise<void> {
    const since = this.#options.clock.nowSeconds() - this.#options.windowSeconds
    const [sessions, users] = await Promise.all([
      this.#options.store.sessions.listRevokedSince(since),
      this.#options.store.users.listNotBeforeSince(since),
    ])
    const events: StreamEventInput[] = [
      ...sessions.flatMap((session) =>
        streamEventsOf({
          type: 'session_revoked',
          sessionIds: [session.sessionId],
          userId: session.userId,
          at: session.revokedAt,
        }),
      ),
      ...users.flatMap((user) =>
        streamEventsOf({ type: 'user_not_before', userId: user.userId, at: user.notBeforeAt }),
      ),
    ]
    for (let start = 0; start < events.length; start += SEED_BATCH) {
      await this.#append(events.slice(start, start + SEED_BATCH), false)
    }
    // Marked only once everything is in: an instance that fails halfway leaves the next tick to try again.
    await this.#append([], true)
  }

  #append(events: readonly StreamEventInput[], seeded: boolean): Promise<number> {
    return appendStreamEvents(this.#options.redis, this.#options.keys, events, {
      windowSeconds: this.#options.windowSeconds,
      seeded,
    })
  }

  #enqueue(events: readonly StreamEventInput[]): void {
    this.#pending.push(...events)
    if (this.#pending.length > MAX_PENDING) this.#pending.splice(0, this.#pending.length - MAX_PENDING)
  }

  #setHealthy(healthy: boolean, error?: unknown): void {
    if (healthy === this.#healthy) return
    this.#healthy = healthy
    this.#options.onHealthChange?.(healthy, error)
  }
}

/**
 * The stream entries of one bus event: one per revoked session (so each is de-duplicated on its own), with
 * the data of the SSE feed's events (docs/guard-protocol.md), which the guard parses the same way.
 *
 * @example
 * streamEventsOf({ type: 'user_not_before', userId: 'usr_1', at: 1764400000 })
 * // [{ identity: 'u:usr_1:1764400000', type: 'user_not_before', data: '{"sub":"usr_1","at":1764400000}' }]
 */
export function streamEventsOf(event: RevocationEvent): StreamEventInput[] {
  if (event.type === 'user_not_before') {
    return [
      {
        identity: `u:${event.userId}:${event.at}`,
        type: 'user_not_before',
        data: JSON.stringify({ sub: event.userId, at: event.at }),
      },
    ]
  }
  return event.sessionIds.map((sid) => ({
    identity: `s:${sid}`,
    type: 'session_revoked',
    data: JSON.stringify({ sids: [sid], sub: event.userId, at: event.at }),
  }))
}
