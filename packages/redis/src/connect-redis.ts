import { Redis } from 'ioredis'

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST` as `tessera-<name>`, so an operator can tell Tessera's connections apart. */
  readonly name: string
  /**
   * A connection that runs blocking reads (`XREAD BLOCK`): no per-command timeout, but a client-side bound
   * on each blocking call, so a connection that died without a TCP reset is noticed.
   */
  readonly blocking?: boolean
}

/** A request must never wait long on Redis: past this a command fails and the caller falls back. */
const COMMAND_TIMEOUT_MS = 2000
const CONNECT_TIMEOUT_MS = 2000
/** Reconnect attempts back off to at most this, so a Redis that returns is used again within about a second. */
const MAX_RECONNECT_DELAY_MS = 1000
/** Added by the client to a blocking call's own `BLOCK` time before it gives up on the connection. */
const BLOCKING_GRACE_MS = 3000

/**
 * Opens an ioredis connection to `url` (`redis://` or `rediss://`) set up for an auth path, where a slow
 * answer is worse than a fast failure: commands issued while disconnected fail at once instead of queueing
 * (`enableOfflineQueue: false`), each command is bounded to 2 s, and reconnection is retried forever at most
 * 1 s apart. Connection errors are not emitted as unhandled `error` events (which would crash the process):
 * they surface as the rejected commands, and the caller decides.
 *
 * @example
 * const redis = createRedisConnection(process.env.TESSERA_REDIS_URL, { name: 'server' })
 * await redis.ping()
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  if (!URL.canParse(url) || !/^rediss?:$/.test(new URL(url).protocol)) {
    throw new TypeError('the Redis URL must start with redis:// or rediss://')
  }
  const redis = new Redis(url, {
    connectionName: `tessera-${options.name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...(options.blocking
      ? { blockingTimeout: COMMAND_TIMEOUT_MS, blockingTimeoutGrace: BLOCKING_GRACE_MS }
      : { commandTimeout: COMMAND_TIMEOUT_MS }),
    retryStrategy: (attempts: number) => Math.min(100 * attempts, MAX_RECONNECT_DELAY_MS),
  })
  redis.on('error', () => {
    // Reported through the commands that fail; ioredis keeps reconnecting on its own.
  })
  return redis
}

/**
 * Resolves once `redis` is ready, or after `timeoutMs` (then `false`); never rejects. For startup: a
 * process may start while Redis is down and keep working on its fallbacks meanwhile.
 *
 * @example
 * if (!(await whenRedisReady(redis, 2000))) logger.warn('Redis is not answering yet')
 */
export function whenRedisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      redis.off('ready', onReady)
      resolve(false)
    }, timeoutMs)
    redis.once('ready', onReady)
  })
}
