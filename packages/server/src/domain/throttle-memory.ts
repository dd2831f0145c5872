import type { Clock } from '@tessera/core'
import {
  assertThrottleRule,
  decideGcra,
  type Throttle,
  type ThrottleDecision,
  type ThrottleRule,
  throttleStorageKey,
} from './throttle.ts'

export interface MemoryThrottleOptions {
  readonly clock: Clock
  /** Most keys held at once; beyond it the least recently touched key is forgotten. Default 100 000. */
  readonly maxKeys?: number
  /** How often, at most, a consume sweeps out drained buckets. Default 60 s. */
  readonly sweepIntervalSeconds?: number
}

export interface MemoryThrottle extends Throttle {
  /** Keys currently held, for metrics and tests. */
  size(): number
}

const DEFAULT_MAX_KEYS = 100_000
const DEFAULT_SWEEP_INTERVAL_SECONDS = 60

/**
 * The in-process throttle: one GCRA instant per key in a `Map`, for a single server instance (several
 * instances need the Redis adapter, or each would allow `limit` on its own).
 *
 * Memory is bounded twice: keys are stored as at most 64 characters (long ones hashed), and at most
 * `maxKeys` are held. The Map's insertion order is kept as recency (a touched key is re-inserted at the
 * end), so eviction drops the least recently touched key. Eviction forgets that key's attempts: an
 * attacker who can mint `maxKeys` fresh keys (e.g. from many IPs) within one window could reset a victim's
 * counter, which is why the per-account and per-IP rules both apply and `maxKeys` is large. A bucket whose
 * instant has passed is equivalent to no entry; those are swept out, at most once per sweep interval,
 * from inside a call (no timer keeps the process alive or needs stopping). Atomicity: each call reads and
 * writes the Map synchronously, so the event loop serialises concurrent consumes.
 *
 * @example
 * const throttle = createMemoryThrottle({ clock: systemClock })
 * const decision = await throttle.consume(`login:ip:${ip}`, { limit: 20, windowSeconds: 60 })
 * if (!decision.allowed) reply.header('retry-after', String(decision.retryAfterSeconds))
 */
export function createMemoryThrottle(options: MemoryThrottleOptions): MemoryThrottle {
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  const sweepIntervalSeconds = options.sweepIntervalSeconds ?? DEFAULT_SWEEP_INTERVAL_SECONDS
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new TypeError('maxKeys must be a positive integer')
  const tatAtByKey = new Map<string, number>()
  let lastSweepAt = options.clock.nowSeconds()

  function sweep(nowAt: number): void {
    if (nowAt - lastSweepAt < sweepIntervalSeconds) return
    lastSweepAt = nowAt
    for (const [key, tatAt] of tatAtByKey) {
      if (tatAt <= nowAt) tatAtByKey.delete(key)
    }
  }

  function touch(key: string, tatAt: number): void {
    tatAtByKey.delete(key)
    tatAtByKey.set(key, tatAt)
    while (tatAtByKey.size > maxKeys) {
      const oldest = tatAtByKey.keys().next()
      if (oldest.done === true) break
      tatAtByKey.delete(oldest.value)
    }
  }

  function consumeNow(key: string, rule: ThrottleRule): ThrottleDecision {
    assertThrottleRule(rule)
    const nowAt = options.clock.nowSeconds()
    sweep(nowAt)
    const storageKey = throttleStorageKey(key)
    const { decision, nextTatAt } = decideGcra(tatAtByKey.get(storageKey), nowAt, rule)
    touch(storageKey, nextTatAt)
    return decision
  }

  function peekNow(key: string, rule: ThrottleRule): ThrottleDecision {
    assertThrottleRule(rule)
    const { decision } = decideGcra(tatAtByKey.get(throttleStorageKey(key)), options.clock.nowSeconds(), rule)
    return decision.allowed ? { ...decision, remaining: decision.remaining + 1 } : decision
  }

  return {
    // async, so a bad rule surfaces as a rejected promise like any adapter's failure, not a synchronous throw.
    consume: async (key, rule) => consumeNow(key, rule),
    peek: async (key, rule) => peekNow(key, rule),
    reset: async (key) => {
      tatAtByKey.delete(throttleStorageKey(key))
    },
    size: () => tatAtByKey.size,
  }
}
