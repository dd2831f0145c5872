import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import type { Throttle } from './throttle.ts'
import { createFailoverThrottle } from './throttle-failover.ts'
import { createMemoryThrottle } from './throttle-memory.ts'

/** A throttle in front of a real memory one whose "connection" can be cut, like Redis going away. */
function switchable(inner: Throttle): { throttle: Throttle; setDown(down: boolean): void } {
  let down = false
  const guard = <T>(work: () => Promise<T>): Promise<T> =>
    down ? Promise.reject(new Error('Connection is closed.')) : work()
  return {
    setDown: (value) => {
      down = value
    },
    throttle: {
      consume: (key, rule) => guard(() => inner.consume(key, rule)),
      peek: (key, rule) => guard(() => inner.peek(key, rule)),
      reset: (key) => guard(() => inner.reset(key)),
    },
  }
}

describe('failover throttle', () => {
  const rule = { limit: 3, windowSeconds: 60 }

  test('counts in the primary while it answers, in the fallback while it fails, and reports each change once', async () => {
    const clock = createManualClock(1_700_000_000)
    const primary = switchable(createMemoryThrottle({ clock }))
    const changes: boolean[] = []
    const throttle = createFailoverThrottle({
      primary: primary.throttle,
      fallback: createMemoryThrottle({ clock }),
      onHealthChange: (healthy) => changes.push(healthy),
    })
    assert.equal((await throttle.consume('k', rule)).remaining, 2)
    primary.setDown(true)
    // The fallback starts empty: an outage costs shared counting, never throttling itself.
    const during = []
    for (let i = 0; i < 4; i += 1) during.push((await throttle.consume('k', rule)).allowed)
    assert.deepEqual(during, [true, true, true, false])
    primary.setDown(false)
    // Back on the primary, which still holds its one attempt from before the outage.
    assert.equal((await throttle.consume('k', rule)).remaining, 1)
    assert.deepEqual(changes, [false, true])
  })

  test('reset clears both, and does not fail while the primary is down', async () => {
    const clock = createManualClock(1_700_000_000)
    const primary = switchable(createMemoryThrottle({ clock }))
    const fallback = createMemoryThrottle({ clock })
    const throttle = createFailoverThrottle({ primary: primary.throttle, fallback })
    await fallback.consume('k', rule)
    primary.setDown(true)
    await throttle.reset('k')
    assert.equal((await fallback.peek('k', rule)).remaining, 3)
  })
})
