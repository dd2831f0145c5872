import type { Clock } from '@tessera/core'
import {
  assertRedisKeyPrefix,
  createRedisScript,
  DEFAULT_REDIS_KEY_PREFIX,
  hashTaggedKey,
  parseIntegerReply,
  type RedisConnection,
} from '@tessera/redis'
import {
  assertThrottleRule,
  decideGcra,
  type Throttle,
  type ThrottleDecision,
  type ThrottleRule,
  throttleStorageKey,
} from '../../domain/throttle.ts'

export interface RedisThrottleOptions {
  readonly redis: RedisConnection
  readonly clock: Clock
  /** Prepended to every key; default `tessera:`. No braces (see `hashTaggedKey`). */
  readonly keyPrefix?: string
}

/**
 * `decideGcra` (domain/throttle.ts) in Lua, step for step in the same double arithmetic, so both adapters
 * decide identically; the conformance suite checks it. The instant is stored with `%.17g`, which
 * round-trips a double exactly (Lua's `tostring` keeps 14 digits and would drift on `10 / 3`). A stored
 * value that is not a finite number counts as a fresh key. Only an allowed attempt writes: a denied one
 * leaves the bucket and its expiry as they were. The expiry is the instant at which the bucket has
 * drained, when it equals no key at all.
 */
const CONSUME_SCRIPT = `
local nowAt = tonumber(ARGV[1])
local windowSeconds = tonumber(ARGV[3])
local intervalSeconds = windowSeconds / tonumber(ARGV[2])
local slackSeconds = 1e-6
local tatAt = tonumber(redis.call('GET', KEYS[1]))
if tatAt ~= nil and (tatAt ~= tatAt or tatAt == math.huge or tatAt == -math.huge) then tatAt = nil end
local startAt = nowAt
if tatAt ~= nil and tatAt > nowAt then startAt = tatAt end
local nextTatAt = startAt + intervalSeconds
local allowAt = nextTatAt - windowSeconds
if allowAt - nowAt > slackSeconds then
  return {0, 0, math.max(1, math.ceil(allowAt - nowAt))}
end
local remaining = math.floor((windowSeconds - (nextTatAt - nowAt) + slackSeconds) / intervalSeconds)
redis.call('SET', KEYS[1], string.format('%.17g', nextTatAt), 'PX', math.ceil((nextTatAt - nowAt) * 1000))
return {1, remaining, 0}
`

const consumeScript = createRedisScript(CONSUME_SCRIPT)

function parseStoredInstant(value: string | null): number | undefined {
  if (value === null) return undefined
  const tatAt = Number(value)
  return Number.isFinite(tatAt) ? tatAt : undefined
}

/**
 * The throttle shared by every instance on one Redis: one GCRA instant per key, at
 * `<prefix>throttle:{<key>}` (keys as `throttleStorageKey` bounds them). Each consume is one Lua script, so
 * N concurrent consumes across all instances allow exactly what the bucket has room for (the port's
 * atomicity contract). `now` comes from the injected clock, not Redis `TIME`: tests move time, and
 * instances kept in sync by NTP agree to well under a second, far below any window. Keys expire by
 * themselves (`PX`) once drained, so Redis holds only buckets that still matter. A Redis failure rejects
 * the promise; the caller decides whether to fail open or closed.
 *
 * @example
 * const throttle = createRedisThrottle({ redis: new Redis(redisUrl), clock: systemClock })
 * const decision = await throttle.consume(`login:ip:${ip}`, { limit: 20, windowSeconds: 60 })
 */
export function createRedisThrottle(options: RedisThrottleOptions): Throttle {
  const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
  assertRedisKeyPrefix(keyPrefix)
  const redisKey = (key: string): string => hashTaggedKey(keyPrefix, 'throttle', throttleStorageKey(key))

  return {
    async consume(key: string, rule: ThrottleRule): Promise<ThrottleDecision> {
      assertThrottleRule(rule)
      const nowAt = options.clock.nowSeconds()
      const reply = await consumeScript.run(
        options.redis,
        [redisKey(key)],
        [String(nowAt), String(rule.limit), String(rule.windowSeconds)],
      )
      const [allowed, remaining, retryAfterSeconds] = parseIntegerReply(reply, 3)
      return { allowed: allowed === 1, remaining: remaining ?? 0, retryAfterSeconds: retryAfterSeconds ?? 0 }
    },

    // A read needs no script: one GET is atomic, and the shared decideGcra then decides as a consume would.
    async peek(key: string, rule: ThrottleRule): Promise<ThrottleDecision> {
      assertThrottleRule(rule)
      const tatAt = parseStoredInstant(await options.redis.get(redisKey(key)))
      const { decision } = decideGcra(tatAt, options.clock.nowSeconds(), rule)
      return decision.allowed ? { ...decision, remaining: decision.remaining + 1 } : decision
    },

    async reset(key: string): Promise<void> {
      await options.redis.del(redisKey(key))
    },
  }
}
