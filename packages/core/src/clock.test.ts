import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock, systemClock } from './clock.ts'
import { cryptoRandom } from './random.ts'

describe('clock', () => {
  test('systemClock reads whole epoch seconds', () => {
    const before = Math.floor(Date.now() / 1000)
    const now = systemClock.nowSeconds()
    assert.ok(Number.isSafeInteger(now))
    assert.ok(now >= before && now <= before + 1)
  })

  test('a manual clock stands still until set or advanced', () => {
    const clock = createManualClock(1_700_000_000)
    assert.equal(clock.nowSeconds(), 1_700_000_000)
    assert.equal(clock.nowSeconds(), 1_700_000_000)
    clock.advance(901)
    assert.equal(clock.nowSeconds(), 1_700_000_901)
    clock.advance(-1)
    assert.equal(clock.nowSeconds(), 1_700_000_900)
    clock.set(5)
    assert.equal(clock.nowSeconds(), 5)
  })

  test('a manual clock refuses fractional or unsafe instants', () => {
    assert.throws(() => createManualClock(1.5), RangeError)
    assert.throws(() => createManualClock(Number.NaN), RangeError)
    const clock = createManualClock(0)
    assert.throws(() => clock.set(Number.POSITIVE_INFINITY), RangeError)
    assert.throws(() => clock.advance(0.5), RangeError)
    assert.throws(() => clock.advance(Number.MAX_SAFE_INTEGER + 1), RangeError)
    assert.equal(clock.nowSeconds(), 0)
  })
})

describe('random', () => {
  test('cryptoRandom returns fresh bytes of the asked length', () => {
    const first = cryptoRandom.bytes(32)
    const second = cryptoRandom.bytes(32)
    assert.equal(first.length, 32)
    assert.equal(cryptoRandom.bytes(0).length, 0)
    assert.notDeepEqual(first, second)
  })
})
