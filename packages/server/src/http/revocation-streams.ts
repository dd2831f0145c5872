import type { ServerResponse } from 'node:http'
import type { Clock } from '@tessera/core'
import type { FeedMessage, FeedSubscription, RevocationFeed } from '../domain/revocation-feed.ts'

export interface RevocationStreamsOptions {
  readonly feed: RevocationFeed
  readonly clock: Clock
  /** Open streams at most; one per guard instance is the norm. */
  readonly maxStreams: number
  /** docs/guard-protocol.md: a ping every 5 s tells a guard the feed is alive. */
  readonly pingIntervalMs: number
  /** A reader that falls this far behind is cut off rather than buffered without bound. */
  readonly maxBufferedBytes: number
}

interface Stream {
  readonly response: ServerResponse
  subscription: FeedSubscription | undefined
  isClosed: boolean
}

const STREAM_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Reverse proxies must pass events through at once, not buffer them.
  'x-accel-buffering': 'no',
})

/**
 * Serialises one event (WHATWG HTML §9.2 server-sent events). `data` is one line of JSON, so it needs no
 * splitting; ids and event names are our own ASCII.
 *
 * @example
 * formatServerSentEvent({ id: 'a1-3', event: 'ping', data: '{"at":1}' }) // 'id: a1-3\nevent: ping\ndata: {"at":1}\n\n'
 */
export function formatServerSentEvent(message: FeedMessage): string {
  return `id: ${message.id}\nevent: ${message.event}\ndata: ${message.data}\n\n`
}

/**
 * The open SSE responses of the revocation feed: bounded in number, pinged on one shared timer, cut off
 * when a reader stops reading, and all ended by {@link RevocationStreams.closeAll} so that server
 * shutdown does not wait for guards that would otherwise stay connected for ever.
 *
 * @example
 * const streams = new RevocationStreams({ feed, clock, maxStreams: 256, pingIntervalMs: 5000, maxBufferedBytes: 1 << 20 })
 * app.addHook('preClose', async () => streams.closeAll())
 */
export class RevocationStreams {
  readonly #options: RevocationStreamsOptions
  readonly #streams = new Set<Stream>()
  #pingTimer: NodeJS.Timeout | undefined
  #isClosing = false

  constructor(options: RevocationStreamsOptions) {
    this.#options = options
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size
  }

  /** Whether a new stream would exceed the bound (or the server is shutting down). */
  get isFull(): boolean {
    return this.#isClosing || this.#streams.size >= this.#options.maxStreams
  }

  /**
   * Takes over a raw response and streams the feed into it: snapshot or resume first, then live events
   * and pings, until the client disconnects or {@link closeAll}. If the store cannot be read for the
   * snapshot, the response is aborted and the guard reconnects.
   *
   * @example
   * reply.hijack(); await streams.open(reply.raw, request.headers['last-event-id'])
   */
  async open(response: ServerResponse, lastEventId: string | undefined): Promise<void> {
    const stream: Stream = { response, subscription: undefined, isClosed: false }
    this.#streams.add(stream)
    response.on('close', () => this.#forget(stream))
    response.writeHead(200, STREAM_HEADERS)
    this.#startPinging()
    try {
      stream.subscription = await this.#options.feed.subscribe(lastEventId, (message) =>
        this.#write(stream, message),
      )
    } catch {
      response.destroy()
      this.#forget(stream)
      return
    }
    if (stream.isClosed) stream.subscription.unsubscribe()
  }

  /** Ends every stream and refuses new ones (called before the HTTP server closes). */
  closeAll(): void {
    this.#isClosing = true
    for (const stream of [...this.#streams]) {
      this.#forget(stream)
      stream.response.end()
    }
  }

  #write(stream: Stream, message: FeedMessage): void {
    if (stream.isClosed) return
    stream.response.write(formatServerSentEvent(message))
    if (stream.response.writableLength > this.#options.maxBufferedBytes) stream.response.destroy()
  }

  #forget(stream: Stream): void {
    stream.isClosed = true
    stream.subscription?.unsubscribe()
    this.#streams.delete(stream)
    if (this.#streams.size === 0 && this.#pingTimer !== undefined) {
      clearInterval(this.#pingTimer)
      this.#pingTimer = undefined
    }
  }

  #startPinging(): void {
    if (this.#pingTimer !== undefined) return
    this.#pingTimer = setInterval(() => this.#ping(), this.#options.pingIntervalMs)
    this.#pingTimer.unref()
  }

  #ping(): void {
    const message: FeedMessage = {
      id: this.#options.feed.lastEventId,
      event: 'ping',
      data: JSON.stringify({ at: this.#options.clock.nowSeconds() }),
    }
    // Only streams past their snapshot: a ping must not overtake it.
    for (const stream of this.#streams) if (stream.subscription !== undefined) this.#write(stream, message)
  }
}
