import type { Redis } from 'ioredis'
import { type EventStreamKeys, MAX_EVENT_DATA_CHARS, type StreamEvent } from './event-stream.ts'

export interface EventStreamReaderOptions {
  /** A connection of its own (see `createRedisConnection({ blocking: true })`): `XREAD BLOCK` holds it. */
  readonly redis: Redis
  readonly keys: EventStreamKeys
  /** Called for every entry, in stream order. A throw counts the entry as rejected; reading goes on. */
  readonly onEvent: (event: StreamEvent) => void
  /** Current time in epoch seconds (a test clock, or the system's). */
  readonly nowSeconds: () => number
  /**
   * `beginning`: read every retained entry first (a guard's snapshot). `end`: only what is appended from now
   * on (an auth-server instance, whose own snapshot is its database). Default `beginning`.
   */
  readonly from?: 'beginning' | 'end'
  /** How long one `XREAD` waits for new entries; also the longest gap between two signs of life. Default 5000. */
  readonly blockMs?: number
}

/** What the reader knows of its own state, for health endpoints. */
export interface EventStreamReaderHealth {
  /** The last read succeeded: the connection is up. */
  readonly connected: boolean
  /** Epoch seconds of the last successful read (with or without entries); `undefined` before the first. */
  readonly lastHeardAt: number | undefined
  /** Entries whose shape or content the consumer refused (never silently: they are counted here). */
  readonly rejectedEvents: number
}

const BATCH = 1000
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 1000

/**
 * Follows Tessera's event stream: `XREAD BLOCK` in a loop, from the last id seen, so nothing appended while
 * the reader was disconnected is lost (it is read on reconnection). Every successful read, even an empty
 * one after `blockMs`, counts as hearing from Redis: a reader that heard within a bound knows it has missed
 * nothing older than that bound. A failed read is retried after a backoff capped at 1 s, so the reader is back
 * within about a second of Redis.
 *
 * @example
 * const reader = new EventStreamReader({ redis, keys: eventStreamKeys('tessera:'), nowSeconds,
 *   onEvent: (event) => apply(event) })
 * await reader.whenCaughtUp(5000)
 */
export class EventStreamReader {
  readonly #options: EventStreamReaderOptions
  readonly #blockMs: number
  readonly #running: Promise<void>
  #lastId: string | undefined
  #closed = false
  #connected = false
  #caughtUp = false
  #lastHeardAt: number | undefined
  #rejectedEvents = 0
  #wake: (() => void) | undefined
  #caughtUpWaiters: (() => void)[] = []

  constructor(options: EventStreamReaderOptions) {
    this.#options = options
    this.#blockMs = options.blockMs ?? 5000
    this.#lastId = (options.from ?? 'beginning') === 'beginning' ? '0-0' : undefined
    this.#running = this.#run()
  }

  /** Epoch seconds of the last successful read; `undefined` before the first. */
  get lastHeardAt(): number | undefined {
    return this.#lastHeardAt
  }

  /** Heard from Redis within `maxSilenceSeconds` (and has read everything retained at least once). */
  isLive(nowSeconds: number, maxSilenceSeconds: number): boolean {
    return (
      this.#caughtUp && this.#lastHeardAt !== undefined && nowSeconds - this.#lastHeardAt <= maxSilenceSeconds
    )
  }

  health(): EventStreamReaderHealth {
    return {
      connected: this.#connected,
      lastHeardAt: this.#lastHeardAt,
      rejectedEvents: this.#rejectedEvents,
    }
  }

  /** Resolves once the retained entries have all been read, or after `timeoutMs`; never rejects. */
  whenCaughtUp(timeoutMs: number): Promise<void> {
    if (this.#caughtUp || this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.#caughtUpWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Stops reading and closes the connection it was given. */
  async close(): Promise<void> {
    this.#closed = true
    this.#wake?.()
    this.#options.redis.disconnect()
    for (const waiter of this.#caughtUpWaiters.splice(0)) waiter()
    await this.#running
  }

  async #run(): Promise<void> {
    let failures = 0
    while (!this.#closed) {
      try {
        await this.#readOnce()
        failures = 0
      } catch {
        this.#connected = false
        if (this.#closed) return
        failures += 1
        await this.#sleep(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1)))
      }
    }
  }

  async #readOnce(): Promise<void> {
    const { redis, keys } = this.#options
    this.#lastId ??= await this.#tailId()
    const reply = await redis.xread(
      'COUNT',
      BATCH,
      'BLOCK',
      this.#blockMs,
      'STREAMS',
      keys.stream,
      this.#lastId,
    )
    this.#connected = true
    const entries = entriesOf(reply)
    for (const [id, fields] of entries) {
      this.#lastId = id
      this.#deliver(id, fields)
    }
    this.#lastHeardAt = this.#options.nowSeconds()
    // A short batch means the reader is at the end of the stream: whatever was retained has been read.
    if (entries.length < BATCH && !this.#caughtUp) {
      this.#caughtUp = true
      for (const waiter of this.#caughtUpWaiters.splice(0)) waiter()
    }
  }

  // The id of the newest entry, or 0-0: reading on from it yields only what comes later. (`$` would lose
  // what is appended between two reads.)
  async #tailId(): Promise<string> {
    const newest = await this.#options.redis.xrevrange(this.#options.keys.stream, '+', '-', 'COUNT', 1)
    return newest[0]?.[0] ?? '0-0'
  }

  #deliver(id: string, fields: readonly string[]): void {
    const type = fieldOf(fields, 'type')
    const data = fieldOf(fields, 'data')
    if (type === undefined || data === undefined || data.length > MAX_EVENT_DATA_CHARS) {
      this.#rejectedEvents += 1
      return
    }
    try {
      this.#options.onEvent({ id, type, data })
    } catch {
      this.#rejectedEvents += 1
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      timer.unref()
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}

type Entry = readonly [string, readonly string[]]

// XREAD replies [[key, [[id, [field, value, …]], …]]] or null on timeout; anything else is not a stream reply.
function entriesOf(reply: unknown): readonly Entry[] {
  if (reply === null) return []
  if (!Array.isArray(reply) || reply.length !== 1 || !Array.isArray(reply[0])) {
    throw new Error('unexpected XREAD reply')
  }
  const items: unknown = reply[0][1]
  if (!Array.isArray(items)) throw new Error('unexpected XREAD reply')
  return items.map((item: unknown) => {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) {
      throw new Error('unexpected XREAD reply')
    }
    return [item[0], item[1].filter((field: unknown): field is string => typeof field === 'string')]
  })
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]
  return undefined
}
