import { assertRedisKeyPrefix, hashTaggedKey } from './redis-keys.ts'
import { createRedisScript, parseIntegerReply, type RedisConnection } from './redis-script.ts'

/**
 * Tessera's event stream on Redis: one Redis Stream that every auth-server instance appends to and every
 * guard (and instance) reads with `XREAD BLOCK`, carrying what must reach them within a second:
 * `session_revoked` `{sids, sub, at}`, `user_not_before` `{sub, at}` (the same data as the SSE feed's events,
 * docs/guard-protocol.md) and `keys_changed` `{at}` (the signing key ring changed: reload it).
 *
 * Why a Stream rather than `PUBLISH`: pub/sub forgets a message sent while a subscriber is disconnected, and a
 * guard that missed a revocation would accept a revoked token until it expired. A Stream keeps entries, so a
 * reader that reconnects continues from the last id it saw, and a new reader starts from the retained window
 * (its snapshot). Entries older than the window (the longest token lifetime plus leeway) are trimmed: a
 * revocation matters only while a token it condemns can still be unexpired.
 *
 * Every instance may append the same revocation (the one that made it, and any that found it in the
 * database after a crash or an outage): a sorted set of identities seen within the window, updated in the
 * same script, lets exactly one copy in. Both keys share the hash tag `{events}`, so the script is
 * Cluster-safe (one slot).
 */
export interface EventStreamKeys {
  readonly stream: string
  /** Identities appended within the window → the instant (ms, Redis time) they were first appended. */
  readonly seen: string
  /** Present once the stream holds everything the database knows of the window (see `seeded`). */
  readonly seeded: string
}

/** One event to append. `identity` names the fact (`s:<sid>`, `u:<sub>:<at>`): a second append of it is dropped. */
export interface StreamEventInput {
  readonly identity: string
  readonly type: string
  /** The event's JSON data. */
  readonly data: string
}

/** One entry read back: its stream id, type and JSON data (unparsed; the reader of each type checks it). */
export interface StreamEvent {
  readonly id: string
  readonly type: string
  readonly data: string
}

/** How an entry is bounded on the way in: far above any real event, far below a memory problem. */
export const MAX_EVENT_DATA_CHARS = 64 * 1024
const MAX_IDENTITY_CHARS = 512

/**
 * The keys of the event stream under `keyPrefix`.
 *
 * @example
 * eventStreamKeys('tessera:').stream // 'tessera:events:{events}'
 */
export function eventStreamKeys(keyPrefix: string): EventStreamKeys {
  assertRedisKeyPrefix(keyPrefix)
  return {
    stream: hashTaggedKey(keyPrefix, 'events', 'events'),
    seen: hashTaggedKey(keyPrefix, 'events-seen', 'events'),
    seeded: hashTaggedKey(keyPrefix, 'events-seeded', 'events'),
  }
}

/**
 * KEYS: stream, seen, seeded. ARGV: window seconds, seed flag (1: mark the stream seeded), then triples of
 * identity, type, data. Redis `TIME` (not the caller's clock) stamps entries, so ids and trimming agree
 * whoever appends. `MINID ~` trims entries older than the window in whole macro-nodes (cheap, slightly
 * lazy); both keys expire a minute after the window, so an idle deployment leaves nothing behind.
 */
const APPEND_SCRIPT = `
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local windowMs = tonumber(ARGV[1]) * 1000
local oldestMs = nowMs - windowMs
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. oldestMs)
local added = 0
for i = 3, #ARGV, 3 do
  if redis.call('ZADD', KEYS[2], 'NX', nowMs, ARGV[i]) == 1 then
    redis.call('XADD', KEYS[1], 'MINID', '~', oldestMs, '*', 'type', ARGV[i + 1], 'data', ARGV[i + 2])
    added = added + 1
  end
end
local keepMs = windowMs + 60000
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], keepMs) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], keepMs) end
if ARGV[2] == '1' then redis.call('SET', KEYS[3], '1', 'PX', keepMs) end
return {added}
`

const appendScript = createRedisScript(APPEND_SCRIPT)

export interface AppendOptions {
  /** How long entries are kept: the longest token lifetime plus leeway. */
  readonly windowSeconds: number
  /** This append carries everything the database knows of the window: mark the stream seeded. */
  readonly seeded?: boolean
}

/**
 * Appends events to the stream, each at most once per window (by identity); resolves how many were new.
 * Rejects when Redis fails: the caller keeps the events and retries (see the server's relay).
 *
 * @example
 * await appendStreamEvents(redis, keys, [{ identity: `s:${sid}`, type: 'session_revoked',
 *   data: JSON.stringify({ sids: [sid], sub, at }) }], { windowSeconds: 905 })
 */
export async function appendStreamEvents(
  redis: RedisConnection,
  keys: EventStreamKeys,
  events: readonly StreamEventInput[],
  options: AppendOptions,
): Promise<number> {
  if (!Number.isSafeInteger(options.windowSeconds) || options.windowSeconds < 1) {
    throw new RangeError('windowSeconds must be a positive integer')
  }
  const args = [String(options.windowSeconds), options.seeded ? '1' : '0']
  for (const event of events) {
    if (event.identity === '' || event.identity.length > MAX_IDENTITY_CHARS) {
      throw new RangeError('an event identity must be 1–512 characters')
    }
    if (event.data.length > MAX_EVENT_DATA_CHARS) throw new RangeError('an event is too large for the stream')
    args.push(event.identity, event.type, event.data)
  }
  const reply = await appendScript.run(redis, [keys.stream, keys.seen, keys.seeded], args)
  return parseIntegerReply(reply, 1)[0] ?? 0
}

/**
 * Whether the stream is marked seeded. After Redis lost its data (a restart without persistence) the mark
 * is gone, and an instance re-appends the window's revocations from the database before guards that start
 * afresh would read an empty stream as "nothing is revoked".
 *
 * @example
 * if (!(await isStreamSeeded(redis, keys))) await reseedFromDatabase()
 */
export async function isStreamSeeded(redis: RedisConnection, keys: EventStreamKeys): Promise<boolean> {
  return (await redis.exists(keys.seeded)) === 1
}
