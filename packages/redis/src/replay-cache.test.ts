import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { requireRedis } from '../../../test/support/services.ts'
import { createRedisConnection, whenRedisReady } from './connect-redis.ts'
import { openRedisTestScope } from './redis-test-scope.ts'
import {
  createMemoryReplayCache,
  createRedisReplayCache,
  type ReplayCache,
  ReplayCacheFullError,
} from './replay-cache.ts'

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function describeReplayContract(name: string, open: () => Promise<ReplayCache>): void {
  describe(`replay cache contract: ${name}`, () => {
    test('a key is new once, then seen, per namespace of keys', async () => {
      const cache = await open()
      assert.equal(await cache.remember('k1:jti-a', nowSeconds() + 60), true)
      assert.equal(await cache.remember('k1:jti-a', nowSeconds() + 60), false)
      assert.equal(await cache.remember('k2:jti-a', nowSeconds() + 60), true, 'another key, another entry')
    })

    test('50 simultaneous calls with one key: exactly one is new', async () => {
      const cache = await open()
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => cache.remember('raced', nowSeconds() + 60)),
      )
      assert.equal(answers.filter(Boolean).length, 1)
    })
  })
}

describeReplayContract('memory', async () => createMemoryReplayCache({ nowSeconds }))

describe('memory replay cache bounds', () => {
  test('expired entries are swept when full; a full cache of live entries refuses', async () => {
    let now = 1_000
    const cache = createMemoryReplayCache({ nowSeconds: () => now, maxEntries: 2 })
    assert.equal(await cache.remember('a', 1_010), true)
    assert.equal(await cache.remember('b', 1_100), true)
    await assert.rejects(cache.remember('c', 1_100), ReplayCacheFullError)
    now = 1_011
    assert.equal(await cache.remember('c', 1_100), true, 'a expired and was swept')
    await assert.rejects(cache.remember('a', 1_100), ReplayCacheFullError, 'full again: b and c are live')
  })
})

const redisUrl = await requireRedis()
if (redisUrl === undefined) {
  test('redis replay cache', { skip: 'Redis not reachable' }, () => {})
} else {
  const redis = createRedisConnection(redisUrl, { name: 'replay-test' })
  assert.ok(await whenRedisReady(redis, 5000))
  const scopes: ReturnType<typeof openRedisTestScope>[] = []
  after(async () => {
    for (const scope of scopes) await scope.dropKeys()
    redis.disconnect()
  })
  describeReplayContract('redis', async () => {
    const scope = openRedisTestScope(redis)
    scopes.push(scope)
    return createRedisReplayCache({ redis, keyPrefix: scope.keyPrefix, namespace: 'dpop' })
  })

  test('redis replay entries expire at the given instant, under bounded hashed keys', async () => {
    const scope = openRedisTestScope(redis)
    scopes.push(scope)
    const cache = createRedisReplayCache({ redis, keyPrefix: scope.keyPrefix, namespace: 'dpop' })
    await cache.remember(`jkt:${'x'.repeat(5000)}`, nowSeconds() + 30)
    const [key] = await scope.listKeys()
    assert.match(key ?? '', /^tessera-test:[0-9a-f]{16}:replay:\{[A-Za-z0-9_-]{43}\}$/)
    const ttl = await redis.pttl(key ?? '')
    assert.ok(ttl > 25_000 && ttl <= 31_000, `ttl ${ttl}`)
  })
}
