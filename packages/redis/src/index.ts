/**
 * `@tessera/redis`: the Redis layout the auth server and the guard share (docs/deploy.md, "Redis"):
 * hash-tagged keys, Lua scripts with an EVAL fallback, the `max_uses` counters and the event stream that
 * carries revocations and key-ring changes.
 */
export { createRedisConnection, type RedisConnectionOptions, whenRedisReady } from './connect-redis.ts'
export {
  type AppendOptions,
  appendStreamEvents,
  type EventStreamKeys,
  eventStreamKeys,
  isStreamSeeded,
  MAX_EVENT_DATA_CHARS,
  type StreamEvent,
  type StreamEventInput,
} from './event-stream.ts'
export {
  EventStreamReader,
  type EventStreamReaderHealth,
  type EventStreamReaderOptions,
} from './event-stream-reader.ts'
export { assertRedisKeyPrefix, DEFAULT_REDIS_KEY_PREFIX, hashTaggedKey, tokenUseId } from './redis-keys.ts'
export {
  createRedisScript,
  parseIntegerReply,
  type RedisConnection,
  type RedisScript,
} from './redis-script.ts'
export {
  createRedisTokenUses,
  type RedisTokenUses,
  type RedisTokenUsesOptions,
  type TokenUseDecision,
  type TokenUseInput,
} from './redis-token-uses.ts'
export {
  createMemoryReplayCache,
  createRedisReplayCache,
  type RedisReplayCacheOptions,
  type ReplayCache,
  ReplayCacheFullError,
} from './replay-cache.ts'
