import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { decideGcra, throttleStorageKey } from './throttle.ts'
import { describeThrottleConformance } from './throttle-conformance.ts'
import { createMemoryThrottle } from './throttle-memory.ts'

const START_AT = 1_700_000_000
const fivePerFifteenMinutes = { limit: 5, windowSeconds: 900 }

function setUp(maxKeys?: number) {
  const clock = createManualClock(START_AT)
  const throttle = createMemoryThrottle({ clock, ...(maxKeys === undefined ? {} : { maxKeys }) })
  return { clock, throttle }
}

describeThrottleConformance('memory', async (clock) => ({
  throttle: createMemoryThrottle({ clock }),
  dispose: async () => {},
}))

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
