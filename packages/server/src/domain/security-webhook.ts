/**
 * Delivers security events to the operator's webhook: a signed POST per event (webhook-signature.ts), a
 * timeout per attempt, retries with exponential backoff and jitter, and a bounded in-memory queue that
 * drops its oldest entry when full. Nothing here ever blocks a request: `enqueue` returns at once, and
 * delivery runs on its own workers. The database copy of each event is the durable one; the webhook is
 * best-effort notification, so what a crash or a full queue loses can still be listed from the record.
 */
import type { Clock } from '@tessera/core'
import { signWebhookBody, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.ts'

/** What happened to one attempt or one event, for metrics. */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed' | 'dropped'

/** The part of a logger this needs (pino's signature). */
export interface WebhookLogger {
  warn(object: Record<string, unknown>, message: string): void
}

export interface SecurityWebhookOptions {
  readonly url: string
  /** The HMAC key; at least 32 bytes (config enforces it). */
  readonly secret: string
  /** Only these event types are sent; every type when absent or empty. */
  readonly types?: readonly string[]
  readonly timeoutMs: number
  /** Attempts per event, the first included. */
  readonly maxAttempts: number
  /** Events waiting beyond this many push out the oldest. */
  readonly queueLimit: number
  /** Delay before the first retry; each later one doubles, up to `maxDelayMs`. Default 500 ms. */
  readonly baseDelayMs?: number
  /** Default 60 s. */
  readonly maxDelayMs?: number
  /** Deliveries in flight at once. Default 4. */
  readonly concurrency?: number
  /** Signs each attempt with its own timestamp (so retries stay within a receiver's tolerance). */
  readonly clock: Clock
  /** Uniform in [0, 1), for jitter. Default `Math.random`: jitter needs spread, not secrecy. */
  readonly random?: () => number
  readonly logger: WebhookLogger
  readonly onOutcome?: (outcome: WebhookOutcome, eventId: string) => void
}

/** One event to send: its id and type, and the JSON body exactly as it will be signed. */
export interface WebhookDelivery {
  readonly id: string
  readonly type: string
  readonly body: string
}

const DROP_LOG_INTERVAL_SECONDS = 60

// Worth another try: the receiver or the way to it may recover. Other 4xx answers (401 from a receiver
// with another secret, 404 from a wrong URL, a 3xx we do not follow) need a person, not a retry.
function isRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

/** The webhook's delivery queue and workers; `close()` drains it. */
export class SecurityWebhook {
  readonly #options: SecurityWebhookOptions
  readonly #url: URL
  readonly #types: ReadonlySet<string> | undefined
  readonly #queue: WebhookDelivery[] = []
  readonly #abort = new AbortController()
  readonly #wakers = new Set<() => void>()
  #working = 0
  readonly #workers = new Set<Promise<void>>()
  #closing = false
  #idle: (() => void) | undefined
  #droppedUnlogged = 0
  #lastDropLogAt: number | undefined

  constructor(options: SecurityWebhookOptions) {
    this.#options = options
    this.#url = new URL(options.url)
    this.#types =
      options.types === undefined || options.types.length === 0 ? undefined : new Set(options.types)
  }

  /** Events waiting for a worker (not counting those in flight). */
  get queueLength(): number {
    return this.#queue.length
  }

  /**
   * Queues an event for delivery and returns at once. Ignored when its type is filtered out or the webhook
   * is closing; when the queue is full the oldest waiting event is dropped (counted and logged).
   *
   * @example
   * webhook.enqueue({ id: event.id, type: event.type, body: JSON.stringify(view) })
   */
  enqueue(delivery: WebhookDelivery): void {
    if (this.#closing || (this.#types !== undefined && !this.#types.has(delivery.type))) return
    this.#queue.push(delivery)
    while (this.#queue.length > this.#options.queueLimit) {
      const dropped = this.#queue.shift()
      if (dropped !== undefined) this.#drop(dropped, 'queue full')
    }
    this.#pump()
  }

  /**
   * Stops taking events and waits up to `drainMs` for the queue to empty (no further retries once closing:
   * a failing receiver must not hold up shutdown). What is still queued or in flight then is dropped.
   *
   * @example
   * await webhook.close({ drainMs: 5000 })
   */
  async close(options: { readonly drainMs: number }): Promise<void> {
    this.#closing = true
    for (const wake of this.#wakers) wake()
    if (this.#working > 0 || this.#queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.drainMs)
        timer.unref()
        this.#idle = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    this.#abort.abort()
    // Aborted attempts settle at once; waiting for them accounts for the events they carried.
    await Promise.allSettled(this.#workers)
    for (const delivery of this.#queue.splice(0)) this.#drop(delivery, 'shutdown')
    this.#logDrops()
  }

  #pump(): void {
    const concurrency = this.#options.concurrency ?? 4
    while (this.#working < concurrency && this.#queue.length > 0) {
      this.#working += 1
      const worker = this.#work().finally(() => {
        this.#working -= 1
        this.#workers.delete(worker)
        if (this.#working === 0 && this.#queue.length === 0) this.#idle?.()
      })
      this.#workers.add(worker)
    }
  }

  async #work(): Promise<void> {
    for (let delivery = this.#queue.shift(); delivery !== undefined; delivery = this.#queue.shift()) {
      await this.#deliver(delivery)
      if (this.#abort.signal.aborted) return
    }
  }

  async #deliver(delivery: WebhookDelivery): Promise<void> {
    const { maxAttempts } = this.#options
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(delivery)
      if (result.ok) {
        this.#options.onOutcome?.('delivered', delivery.id)
        return
      }
      if (this.#abort.signal.aborted) {
        this.#drop(delivery, 'shutdown')
        return
      }
      if (!result.retryable || attempt >= maxAttempts || this.#closing) {
        this.#options.onOutcome?.('failed', delivery.id)
        this.#options.logger.warn(
          {
            event: delivery.id,
            type: delivery.type,
            attempts: attempt,
            failure: result.failure,
            host: this.#url.host,
          },
          'security webhook delivery failed; the event stays in the security record',
        )
        return
      }
      this.#options.onOutcome?.('retried', delivery.id)
      await this.#sleep(this.#backoffMs(attempt))
    }
  }

  async #attempt(
    delivery: WebhookDelivery,
  ): Promise<
    { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly failure: string }
  > {
    // One controller per attempt, fed by a timer and by shutdown. (Not AbortSignal.any: on Node 20 the
    // combined signal can be garbage-collected before it fires, and the attempt then hangs for ever.)
    const controller = new AbortController()
    let isTimedOut = false
    const timer = setTimeout(() => {
      isTimedOut = true
      controller.abort()
    }, this.#options.timeoutMs)
    const abortOnClose = (): void => controller.abort()
    this.#abort.signal.addEventListener('abort', abortOnClose, { once: true })
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tessera-Webhook/1',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhookBody(
            this.#options.secret,
            this.#options.clock.nowSeconds(),
            delivery.body,
          ),
        },
        body: delivery.body,
        // A redirect is the receiver's misconfiguration; following it would send the event somewhere else.
        redirect: 'manual',
        signal: controller.signal,
      })
      // The answer's body is never needed; cancelling it frees the connection.
      await response.body?.cancel().catch(() => {})
      if (response.status >= 200 && response.status < 300) return { ok: true }
      return { ok: false, retryable: isRetryable(response.status), failure: `status ${response.status}` }
    } catch {
      // Only the kind of failure is logged: undici's messages can quote the URL, whose path may be a secret.
      const failure = isTimedOut ? 'timeout' : controller.signal.aborted ? 'aborted' : 'network error'
      return { ok: false, retryable: true, failure }
    } finally {
      clearTimeout(timer)
      this.#abort.signal.removeEventListener('abort', abortOnClose)
    }
  }

  #backoffMs(attempt: number): number {
    const base = this.#options.baseDelayMs ?? 500
    const ceiling = Math.min(this.#options.maxDelayMs ?? 60_000, base * 2 ** (attempt - 1))
    // "Equal jitter": half fixed, half random, so retries from many instances spread without collapsing to 0.
    return ceiling / 2 + ((this.#options.random ?? Math.random)() * ceiling) / 2
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closing) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#wakers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      timer.unref()
      this.#wakers.add(wake)
    })
  }

  #drop(delivery: WebhookDelivery, why: 'queue full' | 'shutdown'): void {
    this.#options.onOutcome?.('dropped', delivery.id)
    this.#droppedUnlogged += 1
    // At most one line a minute, with the count: a flood that fills the queue must not also flood the log.
    const now = this.#options.clock.nowSeconds()
    const isLogDue =
      this.#lastDropLogAt === undefined || now - this.#lastDropLogAt >= DROP_LOG_INTERVAL_SECONDS
    if (why === 'queue full' && isLogDue) this.#logDrops()
  }

  #logDrops(): void {
    if (this.#droppedUnlogged === 0) return
    this.#lastDropLogAt = this.#options.clock.nowSeconds()
    this.#options.logger.warn(
      { dropped: this.#droppedUnlogged, host: this.#url.host },
      'security webhook queue dropped events; they stay in the security record',
    )
    this.#droppedUnlogged = 0
  }
}
