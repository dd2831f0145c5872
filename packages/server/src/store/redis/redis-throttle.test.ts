import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { Redis } from 'ioredis'
import { requireRedis } from '../../../../../test/support/services.ts'
import { openRedisTestScope } from '../../../../redis/src/redis-test-scope.ts'
import { describeThrottleConformance } from '../../domain/throttle-conformance.ts'
import { createRedisThrottle } from './redis-throttle.ts'

const START_AT = 1_700_000_000
const redisUrl = await requireRedis()

if (redisUrl === undefined) {
  test('redis throttle', { skip: 'Redis not reachable' }, () => {})
} else {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  after(() => redis.quit())

  describeThrottleConformance('redis', async (clock) => {
    const scope = openRedisTestScope(redis)
    const throttle = createRedisThrottle({ redis, clock, keyPrefix: scope.keyPrefix })
    return { throttle, dispose: async () => void (await scope.dropKeys()) }
  })

  describe('redis throttle: keys', () => {
    test('one key per bucket, hash-tagged, expiring once the bucket has drained', async () => {
      const scope = openRedisTestScope(redis)
      after(() => scope.dropKeys())
      const clock = createManualClock(START_AT)
      const throttle = createRedisThrottle({ redis, clock, keyPrefix: scope.keyPrefix })
      for (let i = 0; i < 3; i += 1)
        await throttle.consume('login:ip:203.0.113.7', { limit: 5, windowSeconds: 900 })
      await throttle.consume(`login:account:${'a'.repeat(100)}`, { limit: 5, windowSeconds: 900 })
      const keys = (await scope.listKeys()).sort()
      assert.equal(keys.length, 2)
      assert.match(keys[0] ?? '', /^tessera-test:[0-9a-f]{16}:throttle:\{#[A-Za-z0-9_-]{43}\}$/)
      assert.equal(keys[1], `${scope.keyPrefix}throttle:{login:ip:203.0.113.7}`)
      // Three attempts at 180 s each: drained 540 s from now, and gone from Redis then.
      const ttlMs = await redis.pttl(keys[1] ?? '')
      assert.ok(ttlMs > 535_000 && ttlMs <= 540_000, `ttl ${ttlMs}`)
    })

    test('a denied attempt writes nothing; reset deletes the key', async () => {
      const scope = openRedisTestScope(redis)
      after(() => scope.dropKeys())
      const clock = createManualClock(START_AT)
      const throttle = createRedisThrottle({ redis, clock, keyPrefix: scope.keyPrefix })
      const rule = { limit: 1, windowSeconds: 60 }
      const key = `${scope.keyPrefix}throttle:{k}`
      await throttle.consume('k', rule)
      const storedBefore = await redis.get(key)
      assert.equal((await throttle.consume('k', rule)).allowed, false)
      assert.equal(await redis.get(key), storedBefore)
      await throttle.reset('k')
      assert.deepEqual(await scope.listKeys(), [])
    })

    test('a stored value that is not a number counts as a fresh bucket', async () => {
      const scope = openRedisTestScope(redis)
      after(() => scope.dropKeys())
      const throttle = createRedisThrottle({
        redis,
        clock: createManualClock(START_AT),
        keyPrefix: scope.keyPrefix,
      })
      await redis.set(`${scope.keyPrefix}throttle:{k}`, 'inf')
      const rule = { limit: 2, windowSeconds: 60 }
      assert.deepEqual(await throttle.peek('k', rule), { allowed: true, remaining: 2, retryAfterSeconds: 0 })
      assert.deepEqual(await throttle.consume('k', rule), {
        allowed: true,
        remaining: 1,
        retryAfterSeconds: 0,
      })
    })

    test('a key prefix with braces is refused', () => {
      const clock = createManualClock(START_AT)
      assert.throws(() => createRedisThrottle({ redis, clock, keyPrefix: '{tessera}:' }), TypeError)
    })

    test('concurrent consumes from two connections allow exactly `limit`', async () => {
      const scope = openRedisTestScope(redis)
      after(() => scope.dropKeys())
      const other = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
      after(() => other.quit())
      const clock = createManualClock(START_AT)
      const rule = { limit: 9, windowSeconds: 60 }
      const first = createRedisThrottle({ redis, clock, keyPrefix: scope.keyPrefix })
      const second = createRedisThrottle({ redis: other, clock, keyPrefix: scope.keyPrefix })
      const decisions = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).consume('k', rule)),
      )
      assert.equal(decisions.filter((decision) => decision.allowed).length, 9)
    })
  })
}
