import type { Clock } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import type { RevocationBus, RevocationEvent } from './revocation-bus.ts'

/** One server-sent event of the feed (docs/guard-protocol.md), its data already serialised once for all. */
export interface FeedMessage {
  readonly id: string
  readonly event: 'snapshot' | 'resume' | 'session_revoked' | 'user_not_before' | 'ping'
  /** JSON text on one line. */
  readonly data: string
}

export interface RevocationFeedOptions {
  readonly bus: RevocationBus
  readonly store: Store
  readonly clock: Clock
  /** Identifies this process's sequence: an id from another instance (or an earlier run) cannot resume. */
  readonly instanceId: string
  /** How far back the snapshot reaches: the longest token lifetime plus leeway. */
  readonly windowSeconds: number
  /** Live events kept for Last-Event-ID resume. Default 1024. */
  readonly bufferSize?: number
}

export interface FeedSubscription {
  /** Stops delivery; safe to call more than once. */
  unsubscribe(): void
}

type Listener = (message: FeedMessage) => void

const DEFAULT_BUFFER_SIZE = 1024
const EVENT_ID = /^([0-9a-f]{1,32})-(0|[1-9][0-9]{0,14})$/

function liveMessage(id: string, event: RevocationEvent): FeedMessage {
  if (event.type === 'session_revoked') {
    return {
      id,
      event: 'session_revoked',
      data: JSON.stringify({ sids: event.sessionIds, sub: event.userId, at: event.at }),
    }
  }
  return { id, event: 'user_not_before', data: JSON.stringify({ sub: event.userId, at: event.at }) }
}

/**
 * The revocation feed behind `GET /v1/revocations` (docs/guard-protocol.md): numbers every event of the
 * in-process revocation bus as `<instance>-<sequence>`, keeps the latest in a ring buffer, and starts each
 * subscriber with either a replay after its Last-Event-ID (`resume`) or a snapshot of every revocation
 * that can still matter, read from the store. Events published while a snapshot is being read are queued
 * and delivered after it, so a subscriber never misses one (a revocation in both is harmless: guards
 * apply them idempotently).
 *
 * @example
 * const feed = new RevocationFeed({ bus, store, clock, instanceId: 'a1b2', windowSeconds: 905 })
 * const subscription = await feed.subscribe(request.headers['last-event-id'], (message) => write(message))
 */
export class RevocationFeed {
  readonly #options: RevocationFeedOptions
  readonly #bufferSize: number
  readonly #buffer: FeedMessage[] = []
  readonly #listeners = new Set<Listener>()
  readonly #stopBus: () => void
  #sequence = 0

  constructor(options: RevocationFeedOptions) {
    this.#options = options
    this.#bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE
    this.#stopBus = options.bus.subscribe((event) => this.#publish(event))
  }

  /** The id of the newest event, also carried by pings so a resume from one loses nothing. */
  get lastEventId(): string {
    return `${this.#options.instanceId}-${this.#sequence}`
  }

  /** Live subscribers, for metrics and tests. */
  get subscriberCount(): number {
    return this.#listeners.size
  }

  /**
   * Starts a subscriber: a `resume` plus the buffered events after `lastEventId` when this instance still
   * holds them all, otherwise a `snapshot`; then every live event. Rejects when the store cannot be read.
   *
   * @example
   * const subscription = await feed.subscribe(undefined, (message) => stream.write(message))
   */
  async subscribe(lastEventId: string | undefined, listener: Listener): Promise<FeedSubscription> {
    const replay = this.#replayAfter(lastEventId)
    if (replay !== undefined) {
      for (const message of replay) listener(message)
      this.#listeners.add(listener)
      return { unsubscribe: () => void this.#listeners.delete(listener) }
    }
    const queued: FeedMessage[] = []
    const queue: Listener = (message) => queued.push(message)
    // Listen before reading, so nothing published during the read is lost.
    this.#listeners.add(queue)
    const snapshotId = this.lastEventId
    try {
      const snapshot = await this.#snapshot(snapshotId)
      listener(snapshot)
      for (const message of queued) listener(message)
      this.#listeners.add(listener)
    } finally {
      this.#listeners.delete(queue)
    }
    return { unsubscribe: () => void this.#listeners.delete(listener) }
  }

  /** Detaches from the bus and drops every subscriber (server shutdown). */
  close(): void {
    this.#stopBus()
    this.#listeners.clear()
  }

  #publish(event: RevocationEvent): void {
    this.#sequence += 1
    const message = liveMessage(this.lastEventId, event)
    this.#buffer.push(message)
    if (this.#buffer.length > this.#bufferSize) this.#buffer.shift()
    for (const listener of [...this.#listeners]) {
      try {
        listener(message)
      } catch {
        // One broken stream must not keep the others from hearing of a revocation.
      }
    }
  }

  #replayAfter(lastEventId: string | undefined): FeedMessage[] | undefined {
    const match = lastEventId === undefined ? null : EVENT_ID.exec(lastEventId)
    if (match === null || match[1] !== this.#options.instanceId) return undefined
    const after = Number(match[2])
    const oldest = this.#sequence - this.#buffer.length + 1
    // Resumable only if every event after `after` is still buffered, and `after` is not from the future.
    if (after > this.#sequence || after < oldest - 1) return undefined
    const missed = this.#buffer.slice(this.#buffer.length - (this.#sequence - after))
    return [{ id: lastEventId as string, event: 'resume', data: '{}' }, ...missed]
  }

  async #snapshot(id: string): Promise<FeedMessage> {
    const since = this.#options.clock.nowSeconds() - this.#options.windowSeconds
    const [sessions, users] = await Promise.all([
      this.#options.store.sessions.listRevokedSince(since),
      this.#options.store.users.listNotBeforeSince(since),
    ])
    const data = {
      sessions: sessions.map((s) => ({ sid: s.sessionId, sub: s.userId, at: s.revokedAt })),
      users: users.map((u) => ({ sub: u.userId, not_before: u.notBeforeAt })),
      window_seconds: this.#options.windowSeconds,
    }
    return { id, event: 'snapshot', data: JSON.stringify(data) }
  }
}
