import type { Clock, RandomSource } from '@tessera/core'
import type { GuardClientCredentials } from './guard-options.ts'
import { basicAuthorization, revocationFeedUrlFor } from './issuer-endpoints.ts'
import { applyFeedEvent, FeedProtocolError } from './revocation-events.ts'
import type { RevocationState } from './revocation-state.ts'
import { EventStreamError, EventStreamParser } from './sse-parser.ts'

export interface RevocationFeedOptions {
  readonly issuer: string
  readonly client: GuardClientCredentials
  readonly state: RevocationState
  readonly clock: Clock
  readonly random: RandomSource
  readonly maxSilenceSeconds: number
  /** Longest wait for the feed's response headers. */
  readonly timeoutMs: number
}

// A snapshot lists every revocation of the last ~15 minutes; 8 Mi characters is far above any real one.
const maxEventChars = 8 << 20
const firstBackoffMs = 250
const maxBackoffMs = 30_000
const watchdogIntervalMs = 1000

/**
 * The guard's end of the revocation feed (docs/guard-protocol.md): one long-lived SSE request to
 * `{issuer}/v1/revocations` with the guard's client, feeding a `RevocationState`. It reconnects when the
 * stream ends, fails, breaks protocol, or stays silent longer than `maxSilenceSeconds` (the server pings every
 * 5 s), after a backoff that doubles up to 30 s with jitter (so a restarted auth server is not hit by every
 * guard at once), sending `Last-Event-ID` so the server can replay what was missed instead of a snapshot.
 *
 * @example
 * const feed = new RevocationFeed({ issuer, client, state, clock, random, maxSilenceSeconds: 30, timeoutMs: 5000 })
 * feed.isLive(clock.nowSeconds()) // true once an event arrived within the bound
 * await feed.close()
 */
export class RevocationFeed {
  readonly #options: RevocationFeedOptions
  readonly #watchdog: NodeJS.Timeout
  readonly #running: Promise<void>
  #connection: AbortController | undefined
  #connected = false
  #closed = false
  #lastEventAt: number | undefined
  #lastHeardAt = 0
  #lastEventId = ''
  #wake: (() => void) | undefined
  #firstEventWaiters: (() => void)[] = []

  constructor(options: RevocationFeedOptions) {
    this.#options = options
    this.#watchdog = setInterval(() => this.#abortIfSilent(), watchdogIntervalMs)
    this.#watchdog.unref()
    this.#running = this.#run()
  }

  /** The feed's HTTP response is open. */
  get connected(): boolean {
    return this.#connected
  }

  /** Epoch seconds of the last event (snapshot, revocation or ping); `undefined` before the first. */
  get lastEventAt(): number | undefined {
    return this.#lastEventAt
  }

  /** An event arrived within `maxSilenceSeconds`: the revocation state can be trusted. */
  isLive(nowSeconds: number): boolean {
    return (
      this.#lastEventAt !== undefined && nowSeconds - this.#lastEventAt <= this.#options.maxSilenceSeconds
    )
  }

  /** Resolves at the first event ever, or after `timeoutMs`; never rejects. Immediate once one arrived. */
  whenFirstEvent(timeoutMs: number): Promise<void> {
    if (this.#lastEventAt !== undefined || this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.#firstEventWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Stops the feed: ends the request, the timers and the reconnect loop. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#watchdog)
    this.#connection?.abort()
    this.#wake?.()
    for (const waiter of this.#firstEventWaiters.splice(0)) waiter()
    await this.#running
  }

  async #run(): Promise<void> {
    let failures = 0
    while (!this.#closed) {
      const heard = await this.#connectOnce()
      this.#connected = false
      if (this.#closed) return
      failures = heard ? 0 : failures + 1
      await this.#sleep(this.#backoffMs(failures))
    }
  }

  // Returns whether the connection delivered at least one event: only then does the backoff start over.
  async #connectOnce(): Promise<boolean> {
    const connection = new AbortController()
    this.#connection = connection
    const headersTimer = setTimeout(() => connection.abort(), this.#options.timeoutMs)
    let heard = false
    try {
      const response = await fetch(revocationFeedUrlFor(this.#options.issuer), {
        headers: this.#requestHeaders(),
        signal: connection.signal,
      })
      clearTimeout(headersTimer)
      const type = response.headers.get('content-type') ?? ''
      if (response.status !== 200 || response.body === null || !type.startsWith('text/event-stream')) {
        await response.body?.cancel().catch(() => undefined)
        return false
      }
      this.#connected = true
      this.#lastHeardAt = this.#options.clock.nowSeconds()
      const parser = new EventStreamParser((event) => {
        applyFeedEvent(event, this.#options.state, this.#options.clock.nowSeconds())
        heard = true
        this.#heard(event.lastEventId)
      }, maxEventChars)
      const reader = response.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parser.push(value)
      }
    } catch (error) {
      // A stream we could not understand: ask for a fresh snapshot rather than a replay of the same bytes.
      if (error instanceof FeedProtocolError || error instanceof EventStreamError) this.#lastEventId = ''
    } finally {
      clearTimeout(headersTimer)
      connection.abort()
    }
    return heard
  }

  #requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-store',
      authorization: basicAuthorization(this.#options.client),
    }
    if (this.#lastEventId !== '') headers['last-event-id'] = this.#lastEventId
    return headers
  }

  #heard(lastEventId: string): void {
    const nowSeconds = this.#options.clock.nowSeconds()
    this.#lastEventAt = nowSeconds
    this.#lastHeardAt = nowSeconds
    this.#lastEventId = lastEventId
    for (const waiter of this.#firstEventWaiters.splice(0)) waiter()
  }

  #abortIfSilent(): void {
    if (!this.#connected) return
    if (this.#options.clock.nowSeconds() - this.#lastHeardAt > this.#options.maxSilenceSeconds) {
      this.#connection?.abort()
    }
  }

  // "Equal jitter": between half and all of the doubled delay, so guards spread out but none retries at once.
  #backoffMs(failures: number): number {
    const ceilingMs = Math.min(maxBackoffMs, firstBackoffMs * 2 ** Math.min(failures, 16))
    const fraction = this.#options.random.bytes(4).readUInt32BE(0) / 2 ** 32
    return Math.round(ceilingMs / 2 + (fraction * ceilingMs) / 2)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined
        resolve()
      }, ms)
      timer.unref() // waiting to reconnect is no reason to keep a process alive
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}
