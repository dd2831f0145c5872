import { assertRedisKeyPrefix, DEFAULT_REDIS_KEY_PREFIX, hashTaggedKey, tokenUseId } from './redis-keys.ts'
import { createRedisScript, parseIntegerReply, type RedisConnection } from './redis-script.ts'

/** One use of a `max_uses` token (the same shape as the server's `TokenUses` port). */
export interface TokenUseInput {
  readonly iss: string
  readonly jti: string
  /** The token's `max_uses`; the first consume fixes it for the counter's life. */
  readonly maxUses: number
  /** The token's `exp`. */
  readonly expiresAt: number
}

export interface TokenUseDecision {
  readonly allowed: boolean
  /** Uses left after this one; 0 when refused. */
  readonly remaining: number
}

/** The `max_uses` counters on Redis, as both the auth server (its `TokenUses` port) and the guard use them. */
export interface RedisTokenUses {
  consume(input: TokenUseInput): Promise<TokenUseDecision>
  /** Nothing to do on Redis (counters expire by themselves); resolves 0. */
  purgeExpired(now?: number): Promise<number>
}

export interface RedisTokenUsesOptions {
  readonly redis: RedisConnection
  /** Prepended to every key; default `tessera:`. No braces (see `hashTaggedKey`). */
  readonly keyPrefix?: string
  /**
   * How long a counter outlives its token's `exp`. Verifiers accept a token until `exp + leeway` (5 s by
   * default, configurable), and Redis expires keys on its own clock; were the counter gone while a
   * verifier still accepted the token, every further use would be allowed again (a replay). Default 300 s.
   */
  readonly retainAfterExpirySeconds?: number
}

const DEFAULT_RETAIN_AFTER_EXPIRY_SECONDS = 300

/**
 * The `max_uses` counter as a hash `{ max, uses }`. The first consume fixes `max` (HSETNX) and the expiry;
 * later ones never move either, like the SQL adapter's `INSERT … ON CONFLICT`. The expiry is set last: an
 * instant already past deletes the key at once, and the steps before it must still find it.
 */
const CONSUME_SCRIPT = `
local isNew = redis.call('HSETNX', KEYS[1], 'max', ARGV[1]) == 1
local maxUses = tonumber(redis.call('HGET', KEYS[1], 'max'))
local uses = tonumber(redis.call('HGET', KEYS[1], 'uses')) or 0
if uses >= maxUses then return {0, 0} end
uses = redis.call('HINCRBY', KEYS[1], 'uses', 1)
if isNew then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return {1, maxUses - uses}
`

const consumeScript = createRedisScript(CONSUME_SCRIPT)

/**
 * `TokenUses` on Redis, shared by every instance: one counter per `(iss, jti)` at
 * `<prefix>token-use:{<sha256 of iss and jti>}`. A consume is one Lua script, so of N simultaneous
 * consumes of a token with `max_uses` M exactly min(N, M) are allowed (the port's contract). Counters
 * expire by themselves `retainAfterExpirySeconds` after the token's `exp`, so `purgeExpired` has nothing to
 * do and returns 0.
 *
 * @example
 * const tokenUses = createRedisTokenUses({ redis: new Redis(redisUrl) })
 * const { allowed } = await tokenUses.consume({ iss, jti, maxUses: 1, expiresAt: exp })
 */
export function createRedisTokenUses(options: RedisTokenUsesOptions): RedisTokenUses {
  const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
  assertRedisKeyPrefix(keyPrefix)
  const retainSeconds = options.retainAfterExpirySeconds ?? DEFAULT_RETAIN_AFTER_EXPIRY_SECONDS
  if (!Number.isSafeInteger(retainSeconds) || retainSeconds < 0) {
    throw new TypeError('retainAfterExpirySeconds must be a non-negative integer')
  }

  return {
    async consume(input: TokenUseInput): Promise<TokenUseDecision> {
      if (!Number.isSafeInteger(input.maxUses) || input.maxUses < 1) {
        throw new RangeError('maxUses must be a positive integer')
      }
      if (!Number.isSafeInteger(input.expiresAt)) throw new RangeError('expiresAt must be a safe integer')
      const key = hashTaggedKey(keyPrefix, 'token-use', tokenUseId(input.iss, input.jti))
      const expireAtMs = (input.expiresAt + retainSeconds) * 1000
      const reply = await consumeScript.run(options.redis, [key], [String(input.maxUses), String(expireAtMs)])
      const [allowed, remaining] = parseIntegerReply(reply, 2)
      return { allowed: allowed === 1, remaining: remaining ?? 0 }
    },

    async purgeExpired(): Promise<number> {
      return 0
    },
  }
}
