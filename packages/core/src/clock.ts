/**
 * The time seam. Every rule that compares instants (`exp`, `nbf`, `iat`, grace windows) reads an injected
 * `Clock`, so tests move time instead of sleeping.
 */
export interface Clock {
  /** The current instant in whole epoch seconds, the unit of JWT NumericDate (RFC 7519 §2). */
  nowSeconds(): number
}

/** The real clock: `Date.now()` truncated to whole seconds. */
export const systemClock: Clock = Object.freeze({
  nowSeconds: (): number => Math.floor(Date.now() / 1000),
})

/** A clock that stands still until a test moves it. */
export interface ManualClock extends Clock {
  /** Jumps to an absolute instant (epoch seconds). */
  set(at: number): void
  /** Moves forward (or, with a negative value, backward) by whole seconds. */
  advance(seconds: number): void
}

function assertWholeSeconds(value: number, name: string): void {
  // A fractional or unsafe instant would make `exp` comparisons disagree with the integer claims.
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer number of seconds`)
}

/**
 * Creates a manual clock standing at `at` (epoch seconds), for tests and simulations.
 *
 * @example
 * const clock = createManualClock(1_700_000_000)
 * clock.advance(901) // the 900-second token has now expired
 */
export function createManualClock(at: number): ManualClock {
  assertWholeSeconds(at, 'at')
  let nowSeconds = at
  return {
    nowSeconds: () => nowSeconds,
    set(next: number): void {
      assertWholeSeconds(next, 'at')
      nowSeconds = next
    },
    advance(seconds: number): void {
      assertWholeSeconds(seconds, 'seconds')
      assertWholeSeconds(nowSeconds + seconds, 'at')
      nowSeconds += seconds
    },
  }
}
