/**
 * The security record: the recorder every part of the server hands its security events to. It stamps each
 * event with an id and the time, bounds every field, replaces a tried email with a keyed pseudonym, stores
 * the event and queues it for the webhook. Recording is never the reason a request fails: a store failure
 * is logged and counted, and the request goes on (the event still reaches the webhook).
 */
import { createHmac } from 'node:crypto'
import type { Clock, RandomSource } from '@tessera/core'
import type {
  SecurityDetails,
  SecurityDetailValue,
  SecurityEventRecord,
  SecurityEvents,
} from '../store/security-ports.ts'
import { normalizeEmail } from './email.ts'
import type { SecurityEventInput, SecurityEventType } from './security-event-types.ts'
import { newSecurityEventId, securityEventView } from './security-event-view.ts'
import type { SecurityWebhook } from './security-webhook.ts'

/** What the rest of the domain needs of the record: one method that never rejects. */
export interface SecurityRecorder {
  /**
   * Records one event. Resolves when the event is stored, or when storing it failed (logged and counted);
   * never rejects, so a request never fails because of its audit trail.
   */
  record(event: SecurityEventInput): Promise<void>
}

/** Whether an event was stored, failed to be, or was folded into a recent one of the same kind. */
export type RecordOutcome = 'stored' | 'failed' | 'coalesced'

export interface SecurityRecordOptions {
  readonly events: SecurityEvents
  readonly clock: Clock
  readonly random: RandomSource
  readonly logger: { warn(object: Record<string, unknown>, message: string): void }
  /** HMAC key of account pseudonyms (derived from the server secret). */
  readonly accountKey: Buffer
  /** Events older than this are pruned by `pruneExpired`. */
  readonly retentionDays: number
  /** Stamped into every event's details as `actor` (the CLI sets `cli`). */
  readonly actor?: 'cli'
  readonly webhook?: Pick<SecurityWebhook, 'enqueue' | 'close' | 'queueLength'>
  /** How long `close` waits for the webhook queue. Default 5 s. */
  readonly drainMs?: number
  readonly onOutcome?: (type: SecurityEventType, outcome: RecordOutcome) => void
}

const MAX_DETAIL_TEXT_CHARS = 256
const MAX_USER_AGENT_CHARS = 512
const MAX_IP_CHARS = 64
const MAX_ID_CHARS = 128
/** A throttled client retries in a loop; one event per rule, address and account a minute is the signal. */
const THROTTLE_COALESCE_SECONDS = 60
const MAX_COALESCE_KEYS = 10_000

function bounded(text: string | null | undefined, max: number): string | null {
  return text === undefined || text === null ? null : text.slice(0, max)
}

/** The security record of one process; owns the webhook queue, which `close` drains. */
export class SecurityRecord implements SecurityRecorder {
  readonly #options: SecurityRecordOptions
  /** Coalesced `login_throttled` keys and the instant until which repeats are folded. */
  readonly #recentThrottles = new Map<string, number>()

  constructor(options: SecurityRecordOptions) {
    this.#options = options
  }

  /** Events waiting for the webhook (0 without one). */
  get webhookQueueLength(): number {
    return this.#options.webhook?.queueLength ?? 0
  }

  /**
   * A stable pseudonym of a tried sign-in address: admins can see that failures target one account
   * without the record holding the address, or telling whether an account has it.
   *
   * @example
   * record.accountPseudonym('Ada@Example.com') === record.accountPseudonym('ada@example.com') // true
   */
  accountPseudonym(email: string): string {
    const normalized = normalizeEmail(email)
    const key = normalized.ok ? normalized.email : email.trim().toLowerCase()
    const digest = createHmac('sha256', this.#options.accountKey).update(key, 'utf8').digest()
    return `acct_${digest.subarray(0, 16).toString('base64url')}`
  }

  async record(input: SecurityEventInput): Promise<void> {
    let event: SecurityEventRecord
    try {
      event = this.#build(input)
      if (this.#isCoalesced(event)) {
        this.#options.onOutcome?.(input.type, 'coalesced')
        return
      }
      this.#options.webhook?.enqueue({
        id: event.id,
        type: event.type,
        body: JSON.stringify(securityEventView(event)),
      })
    } catch (error) {
      this.#fail(input.type, error)
      return
    }
    try {
      await this.#options.events.append(event)
      this.#options.onOutcome?.(input.type, 'stored')
    } catch (error) {
      this.#fail(input.type, error)
    }
  }

  /**
   * Deletes events older than the retention period; resolves how many.
   *
   * @example
   * await record.pruneExpired() // from the server's maintenance timer
   */
  async pruneExpired(): Promise<number> {
    const cutoff = this.#options.clock.nowSeconds() - this.#options.retentionDays * 86_400
    return this.#options.events.pruneBefore(cutoff)
  }

  /**
   * Drains the webhook queue (bounded by `drainMs`); the store is closed by its owner.
   *
   * @example
   * await record.close()
   */
  async close(): Promise<void> {
    await this.#options.webhook?.close({ drainMs: this.#options.drainMs ?? 5000 })
  }

  #build(input: SecurityEventInput): SecurityEventRecord {
    const at = this.#options.clock.nowSeconds()
    const details: Record<string, SecurityDetailValue> = {}
    for (const [key, value] of Object.entries(input.details as SecurityDetails)) {
      if (value === undefined) continue
      details[key] = typeof value === 'string' ? value.slice(0, MAX_DETAIL_TEXT_CHARS) : value
    }
    if ('attemptedEmail' in input && input.attemptedEmail !== undefined) {
      details.account = this.accountPseudonym(input.attemptedEmail)
    }
    if (this.#options.actor !== undefined) details.actor = this.#options.actor
    return {
      id: newSecurityEventId(at, this.#options.random),
      at,
      type: input.type,
      userId: bounded(input.userId, MAX_ID_CHARS),
      sessionId: bounded(input.sessionId, MAX_ID_CHARS),
      clientId: bounded(input.clientId, MAX_ID_CHARS),
      ip: bounded(input.ip, MAX_IP_CHARS),
      userAgent: bounded(input.userAgent, MAX_USER_AGENT_CHARS),
      details,
    }
  }

  #isCoalesced(event: SecurityEventRecord): boolean {
    if (event.type !== 'login_throttled') return false
    const key = JSON.stringify([event.details.rule, event.ip, event.details.account ?? null])
    const until = this.#recentThrottles.get(key)
    if (until !== undefined && event.at < until) return true
    this.#recentThrottles.delete(key)
    // Oldest first out: a flood of fresh addresses cannot grow the map, only shorten the folding.
    if (this.#recentThrottles.size >= MAX_COALESCE_KEYS) {
      const [oldest] = this.#recentThrottles.keys()
      if (oldest !== undefined) this.#recentThrottles.delete(oldest)
    }
    this.#recentThrottles.set(key, event.at + THROTTLE_COALESCE_SECONDS)
    return false
  }

  #fail(type: SecurityEventType, error: unknown): void {
    this.#options.onOutcome?.(type, 'failed')
    // The error's name and code only: a driver's message can quote the row it failed to write.
    const { name, code } = error as { name?: unknown; code?: unknown }
    this.#options.logger.warn(
      { type, err: { type: String(name ?? 'Error'), ...(code === undefined ? {} : { code: String(code) }) } },
      'security event not recorded',
    )
  }
}
