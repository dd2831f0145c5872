import type { Throttle, ThrottleDecision, ThrottleRule } from './throttle.ts'

export interface FailoverThrottleOptions {
  /** The shared throttle (Redis). */
  readonly primary: Throttle
  /** What decides while the primary fails: this instance's own counters. */
  readonly fallback: Throttle
  /** Called when the primary starts failing (with the error) and when it answers again. */
  readonly onHealthChange?: (healthy: boolean, error?: unknown) => void
}

/**
 * A throttle that keeps logins working while the shared one is down: each call goes to `primary`, and when
 * that fails, to `fallback` (in-process counters). Security stays on the safe side of the trade: during an
 * outage every instance still throttles — per instance, so N instances allow up to N times the rule — instead
 * of refusing every login (an outage of Redis would become an outage of sign-in) or letting every attempt
 * through (an outage would become a brute-force window). Counts made in the fallback are not carried over
 * when the primary returns. The health change is reported once per transition, not per call.
 *
 * @example
 * const throttle = createFailoverThrottle({ primary: createRedisThrottle({ redis, clock }),
 *   fallback: createMemoryThrottle({ clock }), onHealthChange: (ok) => logger.warn({ ok }, 'throttle') })
 */
export function createFailoverThrottle(options: FailoverThrottleOptions): Throttle {
  let healthy = true
  const report = (isHealthy: boolean, error?: unknown): void => {
    if (isHealthy === healthy) return
    healthy = isHealthy
    options.onHealthChange?.(isHealthy, error)
  }
  const call = async <T>(primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> => {
    let result: T
    try {
      result = await primary()
    } catch (error) {
      report(false, error)
      return fallback()
    }
    report(true)
    return result
  }
  return {
    consume: (key: string, rule: ThrottleRule): Promise<ThrottleDecision> =>
      call(
        () => options.primary.consume(key, rule),
        () => options.fallback.consume(key, rule),
      ),
    peek: (key: string, rule: ThrottleRule): Promise<ThrottleDecision> =>
      call(
        () => options.primary.peek(key, rule),
        () => options.fallback.peek(key, rule),
      ),
    // Both: a reset after a successful login must not leave the account throttled in either place.
    reset: async (key: string): Promise<void> => {
      await Promise.all([
        options.fallback.reset(key),
        call(
          () => options.primary.reset(key),
          async () => undefined,
        ),
      ])
    },
  }
}
