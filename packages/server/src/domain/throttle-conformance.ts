/**
 * The behaviour every `Throttle` adapter shares (domain/throttle.ts): GCRA limits, Retry-After, peek, reset,
 * long keys and the atomicity of concurrent consumes. The memory adapter and the Redis adapter both run it,
 * so the two cannot drift apart; adapter-specific behaviour (eviction, expiry) stays in their own tests.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { createManualClock, type ManualClock } from '@tessera/core'
import { decideGcra, type Throttle, type ThrottleDecision } from './throttle.ts'

export interface ThrottleUnderTest {
  readonly throttle: Throttle
  /** Releases what `open` took (e.g. deletes the test's Redis keys); called after every test. */
  dispose(): Promise<void>
}

const START_AT = 1_700_000_000
const fivePerFifteenMinutes = { limit: 5, windowSeconds: 900 }

/** Irregular clock steps for the cross-check against decideGcra: bursts, pauses, partial drains. */
const STEP_SECONDS = [0, 5, 1, 0, 3, 6, 2, 0, 1, 4] as const

/**
 * Registers node:test suites checking a `Throttle` against the port contract. `open` must return a
 * throttle reading `clock` with no keys in it; every test opens its own and disposes it afterwards.
 *
 * @example
 * describeThrottleConformance('memory', async (clock) => ({
 *   throttle: createMemoryThrottle({ clock }),
 *   dispose: async () => {},
 * }))
 */
export function describeThrottleConformance(
  name: string,
  open: (clock: ManualClock) => Promise<ThrottleUnderTest>,
): void {
  describe(`throttle conformance: ${name}`, () => {
    const opened: ThrottleUnderTest[] = []
    afterEach(async () => {
      for (const underTest of opened.splice(0)) await underTest.dispose()
    })

    async function setUp(): Promise<{ clock: ManualClock; throttle: Throttle }> {
      const clock = createManualClock(START_AT)
      const underTest = await open(clock)
      opened.push(underTest)
      return { clock, throttle: underTest.throttle }
    }

    describe('limits', () => {
      test('allows a burst of `limit`, then denies with Retry-After', async () => {
        const { throttle } = await setUp()
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
        const { clock, throttle } = await setUp()
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
        const { clock, throttle } = await setUp()
        for (let i = 0; i < 5; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
        for (let i = 0; i < 100; i += 1) {
          clock.advance(1)
          await throttle.consume('k', fivePerFifteenMinutes)
        }
        assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).retryAfterSeconds, 80)
      })

      test('a full window later the whole burst is back', async () => {
        const { clock, throttle } = await setUp()
        for (let i = 0; i < 6; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
        clock.advance(900)
        assert.equal((await throttle.peek('k', fivePerFifteenMinutes)).remaining, 5)
      })

      test('no boundary lets 2 × limit through (unlike a fixed window)', async () => {
        const { clock, throttle } = await setUp()
        const rule = { limit: 10, windowSeconds: 60 }
        clock.advance(59)
        let allowed = 0
        for (let i = 0; i < 10; i += 1) if ((await throttle.consume('k', rule)).allowed) allowed += 1
        clock.advance(2)
        for (let i = 0; i < 10; i += 1) if ((await throttle.consume('k', rule)).allowed) allowed += 1
        assert.equal(allowed, 10)
      })

      test('concurrent consumes over the limit allow exactly `limit`', async () => {
        const { throttle } = await setUp()
        const decisions = await Promise.all(
          Array.from({ length: 50 }, () =>
            throttle.consume('login:account:a@example.com', { limit: 7, windowSeconds: 60 }),
          ),
        )
        assert.equal(decisions.filter((decision) => decision.allowed).length, 7)
      })

      test('a window that does not divide evenly still allows exactly `limit`', async () => {
        const { throttle } = await setUp()
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
        const { throttle } = await setUp()
        for (let i = 0; i < 5; i += 1) await throttle.consume('login:ip:a', fivePerFifteenMinutes)
        assert.equal((await throttle.consume('login:ip:a', fivePerFifteenMinutes)).allowed, false)
        assert.equal((await throttle.consume('login:ip:b', fivePerFifteenMinutes)).allowed, true)
      })
    })

    describe('peek and reset', () => {
      test('peek records nothing and counts the attempts left', async () => {
        const { throttle } = await setUp()
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
        const { throttle } = await setUp()
        for (let i = 0; i < 5; i += 1) await throttle.consume('k', fivePerFifteenMinutes)
        await throttle.reset('k')
        assert.equal((await throttle.consume('k', fivePerFifteenMinutes)).remaining, 4)
      })

      test('an invalid rule rejects the promise', async () => {
        const { throttle } = await setUp()
        await assert.rejects(throttle.consume('k', { limit: 0, windowSeconds: 60 }), TypeError)
        await assert.rejects(throttle.consume('k', { limit: 1.5, windowSeconds: 60 }), TypeError)
        await assert.rejects(throttle.peek('k', { limit: 1, windowSeconds: Number.NaN }), TypeError)
      })
    })

    describe('keys and arithmetic', () => {
      test('a long key counts on its own, and one character more is another key', async () => {
        const { throttle } = await setUp()
        const long = `login:account:${'a'.repeat(240)}@example.com`
        for (let i = 0; i < 5; i += 1) await throttle.consume(long, fivePerFifteenMinutes)
        assert.equal((await throttle.consume(long, fivePerFifteenMinutes)).allowed, false)
        assert.equal((await throttle.consume(`${long}x`, fivePerFifteenMinutes)).allowed, true)
      })

      test('keys with braces, colons and a leading # are distinct keys', async () => {
        const { throttle } = await setUp()
        const rule = { limit: 1, windowSeconds: 60 }
        for (const key of ['a{b}', 'a{b}c', '{a}', '#a', 'a']) {
          assert.equal((await throttle.consume(key, rule)).allowed, true, key)
        }
        assert.equal((await throttle.consume('a{b}', rule)).allowed, false)
      })

      test('every decision matches decideGcra over an irregular sequence', async () => {
        const { clock, throttle } = await setUp()
        const rules = [
          { limit: 3, windowSeconds: 10 },
          { limit: 7, windowSeconds: 13 },
          { limit: 4, windowSeconds: 2.5 },
        ]
        for (const [ruleIndex, rule] of rules.entries()) {
          let tatAt: number | undefined
          const expected: ThrottleDecision[] = []
          const actual: ThrottleDecision[] = []
          for (let i = 0; i < 60; i += 1) {
            if (i % 3 === 0) clock.advance(STEP_SECONDS[(i / 3) % STEP_SECONDS.length] ?? 0)
            const { decision, nextTatAt } = decideGcra(tatAt, clock.nowSeconds(), rule)
            if (decision.allowed) tatAt = nextTatAt
            expected.push(decision)
            actual.push(await throttle.consume(`rule-${ruleIndex}`, rule))
          }
          assert.deepEqual(actual, expected)
          assert.ok(
            expected.some((decision) => !decision.allowed),
            'the sequence must hit the limit',
          )
        }
      })
    })
  })
}
