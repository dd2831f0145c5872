import type { Clock } from '@tessera/core'
import {
  createRedisConnection,
  createRedisReplayCache,
  createRedisTokenUses,
  EventStreamReader,
  type EventStreamReaderHealth,
  eventStreamKeys,
  type ReplayCache,
  whenRedisReady,
} from '@tessera/redis'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { RevocationBus } from '../../domain/revocation-bus.ts'
import type { Throttle } from '../../domain/throttle.ts'
import { createFailoverThrottle } from '../../domain/throttle-failover.ts'
import type { Store, TokenUses } from '../ports.ts'
import { createRedisThrottle } from './redis-throttle.ts'
import { RevocationRelay } from './revocation-relay.ts'
import { createStreamListener, type StreamListener } from './stream-listener.ts'

/** Redis could not count a token use; the request is answered 503 with `Retry-After`, never 500. */
export class HotStateUnavailableError extends Error {
  readonly code = 'store_unavailable'
  readonly retryAfterSeconds = 2

  constructor(options?: ErrorOptions) {
    super('Redis is unavailable', options)
    this.name = 'HotStateUnavailableError'
  }
}

export interface RedisHotStateOptions {
  readonly url: string
  readonly keyPrefix: string
  readonly clock: Clock
  readonly logger: Logger
  readonly bus: RevocationBus
  readonly store: Store
  /** What counts while Redis is down: this instance's own throttle. */
  readonly fallbackThrottle: Throttle
  /** How long revocations matter: the longest token lifetime plus leeway. */
  readonly windowSeconds: number
}

/** What Redis holds for one process, and the means to follow and close it. */
export interface RedisHotState {
  /** Shared login throttle, falling back to in-process counters while Redis is down. */
  readonly throttle: Throttle
  /** Shared `max_uses` counters; fail closed (503) while Redis is down. */
  readonly tokenUses: TokenUses
  /**
   * The DPoP proof replay register shared by every instance and guard (namespace `dpop`); fails closed (503)
   * while Redis is down, since a proof that could not be checked for replay must not be accepted.
   */
  readonly dpopReplays: ReplayCache
  readonly relay: RevocationRelay
  /**
   * Starts reading the event stream (servers, not the CLI): revocations from other instances onto the bus,
   * key-ring changes to `onKeysChanged`.
   */
  follow(onKeysChanged: () => void): void
  /** Resolves when Redis answers `PING`; rejects otherwise (readiness). */
  ping(): Promise<void>
  health(): { readonly pendingEvents: number; readonly stream: EventStreamReaderHealth | undefined }
  /** Appends what is pending (one last try), then closes every connection. */
  close(): Promise<void>
}

const STARTUP_WAIT_MS = 2000

/**
 * Opens the Redis side of a scale-out deployment (`TESSERA_REDIS_URL`): one command connection for the
 * throttle, the counters and the relay, and (once following) one blocking connection for the event stream.
 * A Redis that is down at startup is not fatal: the process starts on its fallbacks, says so in the log
 * and in `/readyz`, and uses Redis as soon as it answers.
 *
 * @example
 * const hot = await openRedisHotState({ url, keyPrefix: 'tessera:', clock, logger, bus, store,
 *   fallbackThrottle: createMemoryThrottle({ clock }), windowSeconds: 905 })
 */
export async function openRedisHotState(options: RedisHotStateOptions): Promise<RedisHotState> {
  const { logger, clock } = options
  const keys = eventStreamKeys(options.keyPrefix)
  const redis = createRedisConnection(options.url, { name: 'server' })
  if (!(await whenRedisReady(redis, STARTUP_WAIT_MS))) {
    logger.warn('Redis is not answering yet: throttling per instance, max_uses refused, until it does')
  }
  const reportHealth =
    (what: string) =>
    (healthy: boolean, error?: unknown): void => {
      if (healthy) logger.info(`Redis answers again: ${what} shared across instances`)
      else logger.warn({ err: { type: (error as Error | undefined)?.name } }, `Redis failed: ${what}`)
    }
  const relay = new RevocationRelay({
    redis,
    keys,
    bus: options.bus,
    store: options.store,
    clock,
    windowSeconds: options.windowSeconds,
    onHealthChange: reportHealth('revocations queued until it answers'),
  })
  const redisTokenUses = createRedisTokenUses({ redis, keyPrefix: options.keyPrefix })
  const redisReplays = createRedisReplayCache({ redis, keyPrefix: options.keyPrefix, namespace: 'dpop' })
  let reader: EventStreamReader | undefined
  let listener: StreamListener | undefined

  return {
    throttle: createFailoverThrottle({
      primary: createRedisThrottle({ redis, clock, keyPrefix: options.keyPrefix }),
      fallback: options.fallbackThrottle,
      onHealthChange: reportHealth('throttling per instance meanwhile'),
    }),
    tokenUses: {
      consume: async (input) => {
        try {
          return await redisTokenUses.consume(input)
        } catch (error) {
          // Counting elsewhere would hand out uses Redis never saw (a replay): refuse instead.
          throw new HotStateUnavailableError({ cause: error })
        }
      },
      purgeExpired: () => redisTokenUses.purgeExpired(),
    },
    dpopReplays: {
      remember: async (key, expiresAtSeconds) => {
        try {
          return await redisReplays.remember(key, expiresAtSeconds)
        } catch (error) {
          throw new HotStateUnavailableError({ cause: error })
        }
      },
    },
    relay,
    follow: (onKeysChanged) => {
      if (reader !== undefined) return
      listener = createStreamListener({
        bus: options.bus,
        onKeysChanged,
        windowSeconds: options.windowSeconds,
        nowSeconds: () => clock.nowSeconds(),
      })
      reader = new EventStreamReader({
        redis: createRedisConnection(options.url, { name: 'server-events', blocking: true }) as Redis,
        keys,
        from: 'end',
        nowSeconds: () => clock.nowSeconds(),
        onEvent: listener.onEvent,
      })
    },
    ping: async () => {
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING reply')
    },
    health: () => ({ pendingEvents: relay.pendingCount, stream: reader?.health() }),
    close: async () => {
      await relay.close()
      listener?.close()
      await reader?.close()
      redis.disconnect()
    },
  }
}
