import { createHash } from 'node:crypto'

/**
 * The throttling port: counters keyed by string (`login:account:<email>`, `login:ip:<ip>`) that slow down
 * password guessing per account and per client (SPEC §3: 429 + Retry-After). The in-process adapter is
 * `throttle-memory.ts`; a Redis adapter serves several instances later, behind the same port.
 *
 * Semantics are GCRA (the generic cell rate algorithm, a leaky bucket kept as one instant per key): a rule
 * `{ limit: 5, windowSeconds: 900 }` allows a burst of 5, then one more every 900 / 5 = 180 seconds. Unlike
 * a fixed window it has no boundary at which 2 × limit attempts pass, and unlike a log of attempts it keeps
 * one number per key.
 *
 * Atomicity contract, for every adapter: a consume is a single read-modify-write. N concurrent consumes
 * on one key whose bucket has room for `limit` allow exactly `limit` and deny the rest — the memory
 * adapter gets that from the event loop, the Redis adapter must get it from one Lua script, never a
 * GET then SET. A denied consume does not move the bucket, so a client that keeps hammering is let in again
 * after `retryAfterSeconds`, not locked out for ever by its own retries.
 */
export interface ThrottleRule {
  /** Attempts allowed in a burst, and per window on average. A positive integer. */
  readonly limit: number
  /** The time over which `limit` attempts drain. Positive. */
  readonly windowSeconds: number
}

export interface ThrottleDecision {
  readonly allowed: boolean
  /** Attempts still allowed right now after this decision. */
  readonly remaining: number
  /** 0 when allowed; otherwise whole seconds until the next attempt would be allowed (≥ 1). */
  readonly retryAfterSeconds: number
}

export interface Throttle {
  /** Records one attempt under `key` if the rule allows it. Atomic per key (see the module comment). */
  consume(key: string, rule: ThrottleRule): Promise<ThrottleDecision>
  /**
   * Reads the bucket without recording anything: `allowed` is what a consume would decide now, and
   * `remaining` is how many consumes in a row would be allowed now.
   */
  peek(key: string, rule: ThrottleRule): Promise<ThrottleDecision>
  /** Forgets the key (e.g. after a successful login, the per-account counter starts afresh). */
  reset(key: string): Promise<void>
}

const MAX_PLAIN_KEY_LENGTH = 64
/** window / limit is rarely exact in binary (10 / 3); without slack the limit-th attempt could be refused. */
const FLOAT_SLACK_SECONDS = 1e-6
const HASHED_KEY_MARK = '#'

/**
 * The key an adapter stores: short keys as given; longer ones (an email can be 254 bytes, a caller could
 * pass anything) as `#` + base64url SHA-256, so memory per key is bounded whatever callers pass. A short
 * key that starts with `#` is hashed too, so it cannot collide with another key's hash.
 *
 * @example
 * throttleStorageKey('login:ip:203.0.113.7') // 'login:ip:203.0.113.7'
 * throttleStorageKey(`login:account:${'a'.repeat(200)}@example.com`) // '#' + 43 base64url chars
 */
export function throttleStorageKey(key: string): string {
  if (key.length <= MAX_PLAIN_KEY_LENGTH && !key.startsWith(HASHED_KEY_MARK)) return key
  return HASHED_KEY_MARK + createHash('sha256').update(key, 'utf8').digest('base64url')
}

/**
 * Rejects a rule a caller got wrong (a programming error, not a client's): every adapter checks the same.
 *
 * @example
 * assertThrottleRule({ limit: 5, windowSeconds: 900 }) // returns; { limit: 0, … } throws a TypeError
 */
export function assertThrottleRule(rule: ThrottleRule): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1)
    throw new TypeError('throttle limit must be a positive integer')
  if (!Number.isFinite(rule.windowSeconds) || rule.windowSeconds <= 0) {
    throw new TypeError('throttle windowSeconds must be a positive number')
  }
}

/**
 * The GCRA step shared by adapters: given the stored theoretical arrival time (`tatAt`, epoch seconds,
 * undefined for a fresh key) and now, the decision and the instant to store if the attempt is recorded.
 *
 * @example
 * decideGcra(undefined, 1000, { limit: 5, windowSeconds: 900 })
 * // { decision: { allowed: true, remaining: 4, retryAfterSeconds: 0 }, nextTatAt: 1180 }
 */
export function decideGcra(
  tatAt: number | undefined,
  nowAt: number,
  rule: ThrottleRule,
): { readonly decision: ThrottleDecision; readonly nextTatAt: number } {
  const intervalSeconds = rule.windowSeconds / rule.limit
  const startAt = Math.max(tatAt ?? nowAt, nowAt)
  const nextTatAt = startAt + intervalSeconds
  // Allowed while the bucket, after this attempt, holds at most `windowSeconds` worth of attempts.
  const allowAt = nextTatAt - rule.windowSeconds
  if (allowAt - nowAt > FLOAT_SLACK_SECONDS) {
    return {
      decision: { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(allowAt - nowAt)) },
      nextTatAt: startAt,
    }
  }
  const remaining = Math.floor(
    (rule.windowSeconds - (nextTatAt - nowAt) + FLOAT_SLACK_SECONDS) / intervalSeconds,
  )
  return { decision: { allowed: true, remaining, retryAfterSeconds: 0 }, nextTatAt }
}
