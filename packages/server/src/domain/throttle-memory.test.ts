import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { decideGcra, throttleStorageKey } from './throttle.ts'
import { createMemoryThrottle } from './throttle-memory.ts'

const START_AT = 1_700_000_000
const fivePerFifteenMinutes = { limit: 5, windowSeconds: 900 }

function setUp(maxKeys?: number) {
  const clock = createManualClock(START_AT)
  const throttle = createMemoryThrottle({ clock, ...(maxKeys === undefined ? {} : { maxKeys }) })
  return { clock, throttle }
}

describe('memory throttle: limits', () => {
  test('allows a burst of `limit`, then denies with Retry-After', async () => {
    const { throttle } = setUp()
    const remaining: number[] = []
    for (let i = 0; i < 5; i += 1) {
      const decision = await throttle.consume('login:ip:203.0.113.7', fivePerFifteenMinutes)
      assert.equal(decision.allowed, true)
      assert.equal(decision.retryAfterSeconds, 0)
      remaining.push(decision.remaining)
    }
    assert.deepEqual(remaining, [4, 3, 2, 1, 0])
    const denied = await throttle.consume('login:ip:203.0.113.7', fivePerFifteenMinutes)
    assert.deepEqual(denied, { allowed: false, remaining: 0, retryAfterSeconds: 180 })
  })

  test('one attempt drains back every window / limit seconds, exactly at Retry-After', async () => {
    const { clock, throttle } = setUp()
    for (let i = 0; i < 5; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
    clock.advance(179)
    assert.deepEqual(await throttle.consume('k', fivePerFifteenMinutes), {
      allowed: false,
      remaining: 0,
      retryAfterSeconds: 1,
    })
    clock.advance(1)
    assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).allowed, true)
    assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).allowed, false)
  })

  test('denied attempts do not push the reopening further away', async () => {
    const { clock, throttle } = setUp()
    for (let i = 0; i < 5; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
    for (let i = 0; i < 100; i += 1) {
      clock.advance(1)
      await throttle.consume('k', fivePerFifteenMinutes)
    }
    assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).retryAfterSeconds, 80)
  })

  test('a full window later the whole burst is back', async () => {
    const { clock, throttle } = setUp()
    for (let i = 0; i < 6; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
    clock.advance(900)
    assert.equal((await throttle.peek('k', fivePerFifteenMinutes)).remaining, 5)
  })

  test('no boundary lets 2 × limit through (unlike a fixed window)', async () => {
    const { clock, throttle } = setUp()
    const rule = { limit: 10, windowSeconds: 60 }
    clock.advance(59)
    let allowed = 0
    for (let i = 0; i < 10; i += 1) if ((await throttle.consume('k', rule)).allowed) allowed += 1
    clock.advance(2)
    for (let i = 0; i < 10; i += 1) if ((await throttle.consume('k', rule)).allowed) allowed += 1
    assert.equal(allowed, 10)
  })

  test('concurrent consumes over the limit allow exactly `limit`', async () => {
    const { throttle } = setUp()
    const decisions = await Promise.all(
      Array.from({ length: 50 }, () =>
        throttle.consume('login:account:a@example.com', { limit: 7, windowSeconds: 60 }),
      ),
    )
    assert.equal(decisions.filter((decision) => decision.allowed).length, 7)
  })

  test('a window that does not divide evenly still allows exactly `limit`', async () => {
    const { throttle } = setUp()
    const rule = { limit: 3, windowSeconds: 10 }
    const decisions = []
    for (let i = 0; i < 4; i += 1) decisions.push(await throttle.consume('k', rule))
    assert.deepEqual(
      decisions.map((decision) => [decision.allowed, decision.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    )
  })

  test('keys are independent', async () => {
    const { throttle } = setUp()
    for (let i = 0; i < 5; i += 1) await throttle.consume('login:ip:a', fivePerFifteenMinutes)
    assert.equal((await throttle.consume('login:ip:a', fivePerFifteenMinutes)).allowed, false)
    assert.equal((await throttle.consume('login:ip:b', fivePerFifteenMinutes)).allowed, true)
  })
})

describe('memory throttle: peek and reset', () => {
  test('peek records nothing and counts the attempts left', async () => {
    const { throttle } = setUp()
    assert.deepEqual(await throttle.peek('k', fivePerFifteenMinutes), {
      allowed: true,
      remaining: 5,
      retryAfterSeconds: 0,
    })
    await throttle.consume('k', fivePerFifteenMinutes)
    for (let i = 0; i < 10; i += 1) await throttle.peek('k', fivePerFifteenMinutes)
    assert.equal((await throttle.peek('k', fivePerFifteenMinutes)).remaining, 4)
    for (let i = 0; i < 4; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
    assert.deepEqual(await throttle.peek('k', fivePerFifteenMinutes), {
      allowed: false,
      remaining: 0,
      retryAfterSeconds: 180,
    })
  })

  test('reset forgets the key', async () => {
    const { throttle } = setUp()
    for (let i = 0; i < 5; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
    await throttle.reset('k')
    assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).remaining, 4)
  })

  test('an invalid rule rejects the promise', async () => {
    const { throttle } = setUp()
    await assert.rejects(throttle.consume('k', { limit: 0, windowSeconds: 60 }), TypeError)
    await assert.rejects(throttle.consume('k', { limit: 1.5, windowSeconds: 60 }), TypeError)
    await assert.rejects(throttle.peek('k', { limit: 1, windowSeconds: Number.NaN }), TypeError)
  })
})

describe('memory throttle: bounded memory', () => {
  test('long keys are stored hashed, at a bounded length', async () => {
    const long = `login:account:${'a'.repeat(240)}@example.com`
    const stored = throttleStorageKey(long)
    assert.match(stored, /^#[A-Za-z0-9_-]{43}$/)
    assert.equal(throttleStorageKey('login:ip:203.0.113.7'), 'login:ip:203.0.113.7')
    assert.notEqual(throttleStorageKey(stored), stored, 'a short key that looks hashed is hashed again')
    const { throttle } = setUp()
    for (let i = 0; i < 5; i += 1) await throttle.consume(long, fivePerFifteenMinutes)
    assert.equal((await throttle.consume(long, fivePerFifteenMinutes)).allowed, false)
    assert.equal((await throttle.consume(`${long}x`, fivePerFifteenMinutes)).allowed, true)
  })

  test('over maxKeys the least recently touched key is evicted', async () => {
    const { throttle } = setUp(3)
    for (let i = 0; i < 5; i += 1) await throttle.consume('victim', fivePerFifteenMinutes)
    await throttle.consume('a', fivePerFifteenMinutes)
    await throttle.consume('b', fivePerFifteenMinutes)
    await throttle.consume('victim', fivePerFifteenMinutes) // touched again: now the most recent
    await throttle.consume('c', fivePerFifteenMinutes)
    assert.equal(throttle.size(), 3)
    assert.equal((await throttle.peek('victim', fivePerFifteenMinutes)).allowed, false, 'victim kept')
    assert.equal((await throttle.peek('a', fivePerFifteenMinutes)).remaining, 5, 'a evicted')
  })

  test('drained buckets are swept out as time passes', async () => {
    const { clock, throttle } = setUp()
    for (let i = 0; i < 100; i += 1) await throttle.consume(`ip:${i}`, { limit: 10, windowSeconds: 60 })
    await throttle.consume('long-lived', { limit: 1, windowSeconds: 3600 })
    assert.equal(throttle.size(), 101)
    clock.advance(120)
    await throttle.consume('trigger', { limit: 10, windowSeconds: 60 })
    assert.equal(throttle.size(), 2)
  })
})

describe('decideGcra', () => {
  test('a fresh key stores now + window / limit', () => {
    assert.deepEqual(decideGcra(undefined, 1000, fivePerFifteenMinutes), {
      decision: { allowed: true, remaining: 4, retryAfterSeconds: 0 },
      nextTatAt: 1180,
    })
  })

  test('a stale instant in the past counts as fresh', () => {
    assert.equal(decideGcra(10, 1000, fivePerFifteenMinutes).nextTatAt, 1180)
  })
})
