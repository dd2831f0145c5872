import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { requireRedis } from '../../../test/support/services.ts'
import { createRedisConnection, whenRedisReady } from './connect-redis.ts'
import { appendStreamEvents, eventStreamKeys, isStreamSeeded, type StreamEvent } from './event-stream.ts'
import { EventStreamReader } from './event-stream-reader.ts'
import { openRedisTestScope } from './redis-test-scope.ts'

const redisUrl = await requireRedis()
const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const revoked = (sid: string) => ({
  identity: `s:${sid}`,
  type: 'session_revoked',
  data: JSON.stringify({ sids: [sid], sub: 'usr_1', at: nowSeconds() }),
})

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(10)
  }
}

if (redisUrl === undefined) {
  test('redis event stream', { skip: 'Redis not reachable' }, () => {})
} else {
  const redis = createRedisConnection(redisUrl, { name: 'test' })
  assert.ok(await whenRedisReady(redis, 5000))
  after(() => redis.quit())

  function setUp() {
    const scope = openRedisTestScope(redis)
    after(() => scope.dropKeys())
    return { scope, keys: eventStreamKeys(scope.keyPrefix) }
  }

  function follow(keys: ReturnType<typeof eventStreamKeys>, from: 'beginning' | 'end', name: string) {
    const events: StreamEvent[] = []
    const connection: Redis = createRedisConnection(redisUrl ?? '', { name, blocking: true })
    const reader = new EventStreamReader({
      redis: connection,
      keys,
      from,
      nowSeconds,
      blockMs: 200,
      onEvent: (event) => {
        if (event.type === 'poison') throw new Error('refused')
        events.push(event)
      },
    })
    after(() => reader.close())
    return { events, reader }
  }

  describe('redis event stream', () => {
    test('an identity is appended once per window, whoever appends it', async () => {
      const { keys } = setUp()
      const window = { windowSeconds: 900 }
      assert.equal(await appendStreamEvents(redis, keys, [revoked('ses_a'), revoked('ses_b')], window), 2)
      assert.equal(await appendStreamEvents(redis, keys, [revoked('ses_b'), revoked('ses_c')], window), 1)
      const entries = await redis.xrange(keys.stream, '-', '+')
      assert.deepEqual(
        entries.map(([, fields]) => JSON.parse(fields[3] ?? '{}').sids[0]),
        ['ses_a', 'ses_b', 'ses_c'],
      )
      const ttlMs = await redis.pttl(keys.stream)
      assert.ok(ttlMs > 955_000 && ttlMs <= 960_000, `stream ttl ${ttlMs}`)
    })

    test('the seeded mark is set only by a seeding append', async () => {
      const { keys } = setUp()
      await appendStreamEvents(redis, keys, [revoked('ses_a')], { windowSeconds: 60 })
      assert.equal(await isStreamSeeded(redis, keys), false)
      await appendStreamEvents(redis, keys, [], { windowSeconds: 60, seeded: true })
      assert.equal(await isStreamSeeded(redis, keys), true)
    })

    test('bad input is refused before anything is sent', async () => {
      const { keys, scope } = setUp()
      await assert.rejects(appendStreamEvents(redis, keys, [revoked('x')], { windowSeconds: 0 }), RangeError)
      const huge = { identity: 's:x', type: 'session_revoked', data: 'x'.repeat(70_000) }
      await assert.rejects(appendStreamEvents(redis, keys, [huge], { windowSeconds: 60 }), RangeError)
      await assert.rejects(
        appendStreamEvents(redis, keys, [{ ...revoked('x'), identity: '' }], { windowSeconds: 60 }),
        RangeError,
      )
      assert.deepEqual(await scope.listKeys(), [])
      assert.throws(() => eventStreamKeys('{bad}:'), TypeError)
    })

    test('a reader from the beginning reads what was retained, then what comes', async () => {
      const { keys } = setUp()
      await appendStreamEvents(redis, keys, [revoked('ses_old')], { windowSeconds: 900 })
      const { events, reader } = follow(keys, 'beginning', 'test-reader')
      await reader.whenCaughtUp(5000)
      assert.ok(reader.isLive(nowSeconds(), 10))
      assert.deepEqual(
        events.map((event) => event.type),
        ['session_revoked'],
      )
      await appendStreamEvents(redis, keys, [revoked('ses_new')], { windowSeconds: 900 })
      await until(() => events.length === 2, 'the live entry')
      assert.match(events[1]?.data ?? '', /ses_new/)
    })

    test('a reader from the end skips what was there before it started', async () => {
      const { keys } = setUp()
      await appendStreamEvents(redis, keys, [revoked('ses_old')], { windowSeconds: 900 })
      const { events, reader } = follow(keys, 'end', 'test-tail')
      await reader.whenCaughtUp(5000)
      await appendStreamEvents(redis, keys, [revoked('ses_new')], { windowSeconds: 900 })
      await until(() => events.length === 1, 'the new entry')
      assert.match(events[0]?.data ?? '', /ses_new/)
    })

    test('entries that the consumer refuses or that lack fields are counted, and reading goes on', async () => {
      const { keys } = setUp()
      const { events, reader } = follow(keys, 'beginning', 'test-poison')
      await reader.whenCaughtUp(5000)
      await redis.xadd(keys.stream, '*', 'type', 'poison', 'data', '{}')
      await redis.xadd(keys.stream, '*', 'nothing', 'here')
      await appendStreamEvents(redis, keys, [revoked('ses_after')], { windowSeconds: 900 })
      await until(() => events.length === 1, 'the entry after the bad ones')
      assert.equal(reader.health().rejectedEvents, 2)
    })

    test('a reader whose connection is killed resumes where it was, losing nothing', async () => {
      const { keys } = setUp()
      const name = `test-killed-${randomBytes(4).toString('hex')}`
      const { events, reader } = follow(keys, 'beginning', name)
      await reader.whenCaughtUp(5000)
      const clients = String(await redis.client('LIST'))
      const id = /id=(\d+) .*name=tessera-(\S+)/
        .exec(clients.split('\n').find((line) => line.includes(`name=tessera-${name}`)) ?? '')
        ?.at(1)
      assert.ok(id !== undefined, 'the reader connection is listed')
      await redis.client('KILL', 'ID', id)
      await appendStreamEvents(redis, keys, [revoked('ses_during')], { windowSeconds: 900 })
      await until(() => events.length === 1, 'the entry appended while disconnected')
      assert.match(events[0]?.data ?? '', /ses_during/)
    })
  })
}
