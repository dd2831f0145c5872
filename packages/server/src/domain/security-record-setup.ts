/**
 * Builds the security record of one process from the configuration: the recorder over the store, and the
 * webhook when `securityEvents.webhook.url` is set. Kept apart from the composition root so the CLI and
 * the server build it the same way.
 */
import type { Clock, RandomSource } from '@tessera/core'
import type { Config } from '../config/schema.ts'
import type { SecurityEvents } from '../store/security-ports.ts'
import type { SecurityEventType } from './security-event-types.ts'
import { type RecordOutcome, SecurityRecord } from './security-record.ts'
import { SecurityWebhook, type WebhookOutcome } from './security-webhook.ts'

export interface SecurityRecordDeps {
  readonly events: SecurityEvents
  readonly clock: Clock
  readonly random: RandomSource
  readonly logger: { warn(object: Record<string, unknown>, message: string): void }
  /** HMAC key of account pseudonyms, derived from the server secret. */
  readonly accountKey: Buffer
  /** `cli` for events recorded by `tessera` commands. */
  readonly actor?: 'cli'
  readonly metrics: {
    recordSecurityEvent(type: SecurityEventType, outcome: RecordOutcome): void
    recordWebhookDelivery(outcome: WebhookOutcome): void
  }
}

/**
 * The security record for `config`, with its webhook when one is configured.
 *
 * @example
 * const securityRecord = createSecurityRecord(config, { events: store.securityEvents, clock, random, logger, accountKey, metrics })
 */
export function createSecurityRecord(config: Config, deps: SecurityRecordDeps): SecurityRecord {
  const { webhook } = config.securityEvents
  const delivery =
    webhook.url === undefined || webhook.secret === undefined
      ? undefined
      : new SecurityWebhook({
          url: webhook.url,
          secret: webhook.secret,
          types: webhook.types,
          timeoutMs: webhook.timeoutSeconds * 1000,
          maxAttempts: webhook.maxAttempts,
          queueLimit: webhook.queueLimit,
          clock: deps.clock,
          logger: deps.logger,
          onOutcome: (outcome) => deps.metrics.recordWebhookDelivery(outcome),
        })
  return new SecurityRecord({
    events: deps.events,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
    accountKey: deps.accountKey,
    retentionDays: config.securityEvents.retentionDays,
    ...(deps.actor === undefined ? {} : { actor: deps.actor }),
    ...(delivery === undefined ? {} : { webhook: delivery }),
    onOutcome: (type, outcome) => deps.metrics.recordSecurityEvent(type, outcome),
  })
}
