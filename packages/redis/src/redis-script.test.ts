import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { requireRedis } from '../../../test/support/services.ts'
import { createRedisScript, parseIntegerReply } from './redis-script.ts'

describe('parseIntegerReply', () => {
  test('accepts an array of safe integers of the expected length', () => {
    assert.deepEqual(parseIntegerReply([1, 0, 180], 3), [1, 0, 180])
  })

  test('rejects any other shape', () => {
    for (const reply of [null, 'OK', [1, 2], [1, 2, '3'], [1, 2, 0.5], [1, 2, 2 ** 53]]) {
      assert.throws(() => parseIntegerReply(reply, 3), /unexpected reply from a Redis script/)
    }
  })
})

const redisUrl = await requireRedis()

if (redisUrl === undefined) {
  test('redis script', { skip: 'Redis not reachable' }, () => {})
} else {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  after(() => redis.quit())

  describe('redis script', () => {
    test('a script the server has not seen runs through EVAL, then is known by its SHA-1', async () => {
      // A unique comment makes a script no server has cached, without flushing anyone else's.
      const source = `-- ${randomBytes(8).toString('hex')}\nreturn {tonumber(ARGV[1]) + 1, #KEYS}`
      const script = createRedisScript(source)
      const sha1 = createHash('sha1').update(source, 'utf8').digest('hex')
      assert.deepEqual(await redis.script('EXISTS', sha1), [0])
      assert.deepEqual(await script.run(redis, ['k1', 'k2'], ['41']), [42, 2])
      assert.deepEqual(await redis.script('EXISTS', sha1), [1])
      assert.deepEqual(await script.run(redis, ['k1', 'k2'], ['41']), [42, 2])
      assert.deepEqual(await script.run(redis, ['k1'], ['1']), [2, 1])
    })

    test('a script error rejects, and is not retried as EVAL', async () => {
      const script = createRedisScript(
        `-- ${randomBytes(8).toString('hex')}\nreturn redis.call('NOSUCHCOMMAND')`,
      )
      await assert.rejects(script.run(redis, [], []))
    })
  })
}
