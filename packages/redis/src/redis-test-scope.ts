/**
 * Test support for the Redis adapters (not a test file itself): a key prefix no other test or run shares,
 * and the sweep that deletes every key under it, so tests can run in parallel against one Redis and
 * leave nothing behind.
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

export interface RedisTestScope {
  /** `tessera-test:<random>:`, to pass as the adapters' `keyPrefix`. */
  readonly keyPrefix: string
  /** Every key under the prefix (SCAN, so a busy Redis is never blocked by `KEYS`). */
  listKeys(): Promise<string[]>
  /** Deletes every key under the prefix; resolves how many there were. */
  dropKeys(): Promise<number>
}

const SCAN_BATCH = 500

/**
 * Opens a scope of fresh keys on `redis`. The prefix holds only `[a-z0-9:-]`, so it needs no escaping in a
 * SCAN `MATCH` pattern.
 *
 * @example
 * const scope = openRedisTestScope(redis)
 * const throttle = createRedisThrottle({ redis, clock, keyPrefix: scope.keyPrefix })
 * after(() => scope.dropKeys())
 */
export function openRedisTestScope(redis: Redis): RedisTestScope {
  const keyPrefix = `tessera-test:${randomBytes(8).toString('hex')}:`

  async function listKeys(): Promise<string[]> {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', SCAN_BATCH)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    // SCAN may return a key twice when the keyspace is rehashed during the iteration.
    return [...new Set(keys)]
  }

  return {
    keyPrefix,
    listKeys,
    async dropKeys() {
      const keys = await listKeys()
      if (keys.length > 0) await redis.del(...keys)
      return keys.length
    },
  }
}
