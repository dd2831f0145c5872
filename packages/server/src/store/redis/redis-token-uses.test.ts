import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createRedisTokenUses } from '@tessera/redis'
import { Redis } from 'ioredis'
import { requireRedis } from '../../../../../test/support/services.ts'
import { openRedisTestScope } from '../../../../redis/src/redis-test-scope.ts'
import { describeTokenUsesConformance } from '../conformance/token-uses-conformance.ts'
import type { TokenUseInput } from '../ports.ts'

const ISSUER = 'https://auth.example.test'
const redisUrl = await requireRedis()

/** Instants relative to the real clock: Redis expires keys on its own time, which a test cannot move. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function use(jti: string, overrides: Partial<TokenUseInput> = {}): TokenUseInput {
  return { iss: ISSUER, jti, maxUses: 3, expiresAt: nowSeconds() + 900, ...overrides }
}

if (redisUrl === undefined) {
  test('redis token uses', { skip: 'Redis not reachable' }, () => {})
} else {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  after(() => redis.quit())

  function setUp(retainAfterExpirySeconds?: number) {
    const scope = openRedisTestScope(redis)
    after(() => scope.dropKeys())
    const tokenUses = createRedisTokenUses({
      redis,
      keyPrefix: scope.keyPrefix,
      ...(retainAfterExpirySeconds === undefined ? {} : { retainAfterExpirySeconds }),
    })
    return { scope, tokenUses }
  }

  describeTokenUsesConformance(
    async () => {
      const scope = openRedisTestScope(redis)
      const tokenUses = createRedisTokenUses({ redis, keyPrefix: scope.keyPrefix })
      return { tokenUses, dispose: async () => void (await scope.dropKeys()) }
    },
    { baseAt: nowSeconds, purgesExplicitly: false },
  )

  describe('redis token uses', () => {
    test('20 concurrent consumes from two connections with max_uses 3 allow exactly 3', async () => {
      const { scope, tokenUses } = setUp()
      const other = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
      after(() => other.quit())
      const otherUses = createRedisTokenUses({ redis: other, keyPrefix: scope.keyPrefix })
      const decisions = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? tokenUses : otherUses).consume(use('raced'))),
      )
      const allowed = decisions.filter((decision) => decision.allowed)
      assert.deepEqual(allowed.map((decision) => decision.remaining).sort(), [0, 1, 2])
    })

    test('the first consume fixes max_uses', async () => {
      const { tokenUses } = setUp()
      assert.deepEqual(await tokenUses.consume(use('fixed', { maxUses: 1 })), { allowed: true, remaining: 0 })
      assert.deepEqual(await tokenUses.consume(use('fixed', { maxUses: 5 })), {
        allowed: false,
        remaining: 0,
      })
    })

    test('counters are per (iss, jti), with no ambiguity where iss ends', async () => {
      const { scope, tokenUses } = setUp()
      await tokenUses.consume(use('b:c', { iss: 'a', maxUses: 1 }))
      assert.equal((await tokenUses.consume(use('b:c', { iss: 'a', maxUses: 1 }))).allowed, false)
      assert.equal((await tokenUses.consume(use('c', { iss: 'a:b', maxUses: 1 }))).allowed, true)
      assert.equal((await tokenUses.consume(use('b:c', { iss: ISSUER, maxUses: 1 }))).allowed, true)
      const keys = await scope.listKeys()
      assert.equal(keys.length, 3)
      for (const key of keys) assert.match(key, /:token-use:\{[A-Za-z0-9_-]{43}\}$/)
    })

    test('the counter expires retainAfterExpirySeconds after exp, fixed by the first consume', async () => {
      const { scope, tokenUses } = setUp(60)
      const expiresAt = nowSeconds() + 900
      await tokenUses.consume(use('timed', { expiresAt }))
      await tokenUses.consume(use('timed', { expiresAt: expiresAt + 5000 }))
      const [key] = await scope.listKeys()
      assert.equal(await redis.pexpiretime(key ?? ''), (expiresAt + 60) * 1000)
    })

    test('the default retention outlives exp by 300 s, covering verifier leeway', async () => {
      const { scope, tokenUses } = setUp()
      const expiresAt = nowSeconds() + 10
      await tokenUses.consume(use('leeway', { expiresAt }))
      const [key] = await scope.listKeys()
      assert.equal(await redis.pexpiretime(key ?? ''), (expiresAt + 300) * 1000)
    })

    test('a counter whose retention already ended leaves no key behind', async () => {
      const { scope, tokenUses } = setUp(0)
      const decision = await tokenUses.consume(use('stale', { expiresAt: nowSeconds() - 10 }))
      assert.deepEqual(decision, { allowed: true, remaining: 2 })
      assert.deepEqual(await scope.listKeys(), [])
    })

    test('purgeExpired is a no-op: Redis expires the counters itself', async () => {
      const { scope, tokenUses } = setUp()
      await tokenUses.consume(use('kept'))
      assert.equal(await tokenUses.purgeExpired(nowSeconds() + 10_000), 0)
      assert.equal((await scope.listKeys()).length, 1)
    })

    test('rejects a max_uses that is not a positive integer, and bad options', async () => {
      const { tokenUses } = setUp()
      await assert.rejects(tokenUses.consume(use('bad', { maxUses: 0 })), RangeError)
      await assert.rejects(tokenUses.consume(use('bad', { maxUses: 1.5 })), RangeError)
      await assert.rejects(tokenUses.consume(use('bad', { expiresAt: Number.NaN })), RangeError)
      assert.throws(() => createRedisTokenUses({ redis, retainAfterExpirySeconds: -1 }), TypeError)
      assert.throws(() => createRedisTokenUses({ redis, keyPrefix: 'a}b' }), TypeError)
    })
  })
}
