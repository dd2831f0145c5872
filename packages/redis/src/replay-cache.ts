import { createHash } from 'node:crypto'
import { assertRedisKeyPrefix, hashTaggedKey } from './redis-keys.ts'
import type { RedisConnection } from './redis-script.ts'

/**
 * A one-time-use register: `remember` resolves true the first time a key is seen and false on every later
 * call until the key expires. What DPoP needs against proof replay (RFC 9449 §11.1: a `jti` is accepted once
 * per key within the proof's lifetime), and what any "use once" token can use.
 */
export interface ReplayCache {
  /** Records `key` until `expiresAtSeconds` (epoch); true when it was not already recorded. Atomic. */
  remember(key: string, expiresAtSeconds: number): Promise<boolean>
}

export interface RedisReplayCacheOptions {
  readonly redis: RedisConnection
  /** The deployment's key prefix (`TESSERA_REDIS_KEY_PREFIX`). */
  readonly keyPrefix: string
  /** Separates uses of the register (`dpop`, …) so that equal keys of two uses never meet. */
  readonly namespace: string
}

/**
 * The register on Redis, shared by every instance and guard: one `SET key 1 NX PXAT <expiry>` per call,
 * atomic in Redis, so of N simultaneous calls with one key across all processes exactly one resolves true.
 * Keys are `<prefix>replay:{<sha256 of namespace and key>}`: bounded whatever the caller's key, and spread
 * over a Cluster by the hash tag. Expired entries vanish by themselves. A Redis failure rejects: the caller
 * refuses the request rather than accept what it could not check.
 *
 * @example
 * const replays = createRedisReplayCache({ redis, keyPrefix: 'tessera:', namespace: 'dpop' })
 * if (!(await replays.remember(`${jkt}:${jti}`, iat + 70))) refuse('dpop_invalid')
 */
export function createRedisReplayCache(options: RedisReplayCacheOptions): ReplayCache {
  assertRedisKeyPrefix(options.keyPrefix)
  return {
    async remember(key, expiresAtSeconds) {
      if (!Number.isSafeInteger(expiresAtSeconds))
        throw new RangeError('expiresAtSeconds must be a safe integer')
      const id = createHash('sha256').update(`${options.namespace}\n${key}`, 'utf8').digest('base64url')
      const reply = await options.redis.set(
        hashTaggedKey(options.keyPrefix, 'replay', id),
        '1',
        'PXAT',
        expiresAtSeconds * 1000,
        'NX',
      )
      return reply === 'OK'
    },
  }
}

/** The in-process register is full of unexpired entries: refuse the request (a flood), do not forget one. */
export class ReplayCacheFullError extends Error {
  constructor() {
    super('the replay cache is full')
    this.name = 'ReplayCacheFullError'
  }
}

/**
 * The register in process memory, for one instance without Redis. Bounded: when `maxEntries` unexpired
 * entries are held it sweeps expired ones, and if none expired it throws `ReplayCacheFullError` rather than
 * evict an entry, since forgetting a live entry would let its replay through.
 *
 * @example
 * const replays = createMemoryReplayCache({ nowSeconds: () => clock.nowSeconds() })
 */
export function createMemoryReplayCache(options: {
  readonly nowSeconds: () => number
  readonly maxEntries?: number
}): ReplayCache {
  const maxEntries = options.maxEntries ?? 100_000
  const entries = new Map<string, number>()
  const sweep = (now: number): void => {
    for (const [key, expiresAt] of entries) if (expiresAt <= now) entries.delete(key)
  }
  return {
    remember(key, expiresAtSeconds) {
      const now = options.nowSeconds()
      const seenUntil = entries.get(key)
      if (seenUntil !== undefined && seenUntil > now) return Promise.resolve(false)
      if (entries.size >= maxEntries) sweep(now)
      if (entries.size >= maxEntries) return Promise.reject(new ReplayCacheFullError())
      entries.set(key, expiresAtSeconds)
      return Promise.resolve(true)
    },
  }
}
