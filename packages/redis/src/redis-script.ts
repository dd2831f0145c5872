import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A connection the Redis adapters accept: one server (or a Sentinel-managed one), or a Cluster. */
export type RedisConnection = Redis | Cluster

export interface RedisScript {
  /** Runs the script on `keys` and `args`; resolves the raw reply, for the caller to parse. */
  run(redis: RedisConnection, keys: readonly string[], args: readonly string[]): Promise<unknown>
}

function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * A Lua script sent by its SHA-1 (`EVALSHA`), falling back to the full source (`EVAL`) when the server does
 * not know it yet — after a restart, a `SCRIPT FLUSH`, or on a Cluster node that never saw it. Redis runs a
 * script atomically (no other command interleaves), which is what gives the adapters their read-modify-write
 * contracts without `WATCH`/`MULTI` retries. Every script touches exactly one key, so it is Cluster-safe.
 *
 * @example
 * const script = createRedisScript("return redis.call('INCR', KEYS[1])")
 * const count = await script.run(redis, ['tessera:counter:{x}'], [])
 */
export function createRedisScript(source: string): RedisScript {
  const sha1 = createHash('sha1').update(source, 'utf8').digest('hex')
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha1, keys.length, ...keys, ...args)
      } catch (error) {
        if (!isNoScriptError(error)) throw error
        return await redis.eval(source, keys.length, ...keys, ...args)
      }
    },
  }
}

/**
 * Reads a script reply that must be an array of `length` safe integers (Redis turns Lua numbers into integer
 * replies). Anything else means a script and its caller disagree, which is a bug, not bad input.
 *
 * @example
 * const [allowed, remaining] = parseIntegerReply(await script.run(redis, [key], []), 2)
 */
export function parseIntegerReply(reply: unknown, length: number): number[] {
  if (!Array.isArray(reply) || reply.length !== length)
    throw new Error('unexpected reply from a Redis script')
  return reply.map((item: unknown) => {
    if (typeof item !== 'number' || !Number.isSafeInteger(item)) {
      throw new Error('unexpected reply from a Redis script')
    }
    return item
  })
}
