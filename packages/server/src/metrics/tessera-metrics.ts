import type { PasswordHasher } from '../domain/password-hasher.ts'
import type { RefreshOutcome } from '../domain/refresh-rotation.ts'
import type { RevocationBus } from '../domain/revocation-bus.ts'
import type { RevocationFeed } from '../domain/revocation-feed.ts'
import type { SecurityEventType } from '../domain/security-event-types.ts'
import type { RecordOutcome } from '../domain/security-record.ts'
import type { WebhookOutcome } from '../domain/security-webhook.ts'
import { DEFAULT_DURATION_BUCKETS_SECONDS } from './histogram.ts'
import { MetricsRegistry } from './metrics-registry.ts'

export type LoginOutcome = 'success' | 'failure'
export type RefreshOutcomeLabel = 'ok' | 'grace' | Extract<RefreshOutcome, { ok: false }>['reason']
/** The throttle that answered `rate_limited`; `hash_queue` is the argon2 queue shedding load (503). */
export type ThrottledRule =
  | 'signup_per_ip'
  | 'login_per_ip'
  | 'login_per_account'
  | 'login_per_device'
  | 'login_global'
  | 'password_per_user'
  | 'hash_queue'

/** One finished HTTP request, as the onResponse hook sees it. */
export interface HttpRequestSample {
  readonly method: string
  /** The route template (`/v1/sessions/:id`), never the raw URL; undefined when no route matched. */
  readonly route: string | undefined
  readonly statusCode: number
  readonly durationMs: number
}

/** What the server counts, and the text a scraper reads. */
export interface TesseraMetrics {
  recordHttpRequest(sample: HttpRequestSample): void
  recordLogin(outcome: LoginOutcome): void
  recordSignup(): void
  recordRefresh(outcome: RefreshOutcome): void
  recordThrottled(rule: ThrottledRule): void
  /** A security event stored, not stored (the store failed), or folded into a recent one of its kind. */
  recordSecurityEvent(type: SecurityEventType, outcome: RecordOutcome): void
  /** A webhook attempt retried, or an event delivered, given up on, or dropped from the queue. */
  recordWebhookDelivery(outcome: WebhookOutcome): void
  /** The exposition, Prometheus text format 0.0.4. */
  render(): string
  /** Stops listening to the revocation bus. */
  close(): void
}

export interface TesseraMetricsSources {
  readonly revocations: RevocationBus
  readonly hasher: Pick<PasswordHasher, 'stats'>
  readonly revocationFeed: Pick<RevocationFeed, 'subscriberCount'>
  /** Revocations waiting for Redis (scale-out); absent without Redis. */
  readonly pendingStreamEvents?: () => number
  /** Security events waiting for the webhook; absent without one. */
  readonly webhookQueueLength?: () => number
}

/** Methods outside this set share one label value, so a client inventing methods cannot add series. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * Builds the server's metrics. Every label value comes from a closed set (a method, a route template,
 * a status, an outcome code): never a token, an email, an IP or a raw URL, which would both leak and let a
 * client grow the series without bound.
 *
 * @example
 * const metrics = createTesseraMetrics({ revocations, hasher, revocationFeed })
 * metrics.recordLogin('failure')
 */
export function createTesseraMetrics(sources: TesseraMetricsSources): TesseraMetrics {
  const registry = new MetricsRegistry()
  const requests = registry.counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
  })
  const durations = registry.histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: DEFAULT_DURATION_BUCKETS_SECONDS,
  })
  const logins = registry.counter({
    name: 'tessera_logins_total',
    help: 'Password logins that reached a verdict (throttled attempts are not counted here).',
    labelNames: ['outcome'],
  })
  const signups = registry.counter({
    name: 'tessera_signups_total',
    help: 'Accounts created.',
    labelNames: [],
  })
  const refreshes = registry.counter({
    name: 'tessera_refreshes_total',
    help: 'Refresh token presentations (POST /v1/refresh and the refresh_token grant), by outcome.',
    labelNames: ['outcome'],
  })
  const reuses = registry.counter({
    name: 'tessera_refresh_reuse_detections_total',
    help: 'Rotated refresh tokens presented after the grace window; each one ended a session.',
    labelNames: [],
  })
  const revoked = registry.counter({
    name: 'tessera_sessions_revoked_total',
    help: 'Sessions revoked by this instance (revocations made elsewhere are counted where they were made).',
    labelNames: [],
  })
  const throttled = registry.counter({
    name: 'tessera_throttled_requests_total',
    help: 'Requests answered rate_limited, by the rule that refused them.',
    labelNames: ['rule'],
  })
  registry.gauge({
    name: 'tessera_password_hash_queue',
    help: 'Password hashes running and waiting for a slot.',
    labelNames: ['state'],
    collect: () => {
      const stats = sources.hasher.stats()
      return [
        { labels: { state: 'running' }, value: stats.running },
        { labels: { state: 'queued' }, value: stats.queued },
      ]
    },
  })
  registry.gauge({
    name: 'tessera_revocation_feed_subscribers',
    help: 'Open GET /v1/revocations streams on this instance.',
    labelNames: [],
    collect: () => [{ labels: {}, value: sources.revocationFeed.subscriberCount }],
  })

  const securityEvents = registry.counter({
    name: 'tessera_security_events_total',
    help: 'Security events by type and outcome: stored, failed (the store refused; logged), coalesced.',
    labelNames: ['type', 'outcome'],
  })
  const webhookDeliveries = registry.counter({
    name: 'tessera_security_webhook_deliveries_total',
    help: 'Security webhook: events delivered, attempts retried, events failed after their attempts or dropped.',
    labelNames: ['outcome'],
  })
  const { webhookQueueLength } = sources
  if (webhookQueueLength !== undefined) {
    registry.gauge({
      name: 'tessera_security_webhook_queue',
      help: 'Security events waiting for webhook delivery.',
      labelNames: [],
      collect: () => [{ labels: {}, value: webhookQueueLength() }],
    })
  }

  const { pendingStreamEvents } = sources
  if (pendingStreamEvents !== undefined) {
    registry.gauge({
      name: 'tessera_redis_pending_events',
      help: 'Revocations and key-ring notices waiting to be appended to the Redis event stream (Redis unreachable).',
      labelNames: [],
      collect: () => [{ labels: {}, value: pendingStreamEvents() }],
    })
  }

  const stopListening = sources.revocations.subscribe((event) => {
    // Each revocation is counted once, by the instance that made it; others only relay it.
    if (event.type === 'session_revoked' && event.source === undefined) {
      revoked.increment({}, event.sessionIds.length)
    }
  })

  return {
    recordHttpRequest: (sample) => {
      const method = KNOWN_METHODS.has(sample.method) ? sample.method : 'OTHER'
      const route = sample.route ?? 'unmatched'
      requests.increment({ method, route, status: String(sample.statusCode) })
      durations.observe({ method, route }, sample.durationMs / 1000)
    },
    recordLogin: (outcome) => logins.increment({ outcome }),
    recordSignup: () => signups.increment({}),
    recordRefresh: (outcome) => {
      const label: RefreshOutcomeLabel = outcome.ok
        ? outcome.replayedWithinGrace
          ? 'grace'
          : 'ok'
        : outcome.reason
      refreshes.increment({ outcome: label })
      // RFC 9700 §4.14.2: a reuse is a theft signal worth its own alert, apart from routine failures.
      if (label === 'refresh_token_reused') reuses.increment({})
    },
    recordThrottled: (rule) => throttled.increment({ rule }),
    recordSecurityEvent: (type, outcome) => securityEvents.increment({ type, outcome }),
    recordWebhookDelivery: (outcome) => webhookDeliveries.increment({ outcome }),
    render: () => registry.render(),
    close: stopListening,
  }
}
