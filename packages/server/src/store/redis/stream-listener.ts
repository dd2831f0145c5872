import { isJsonObject, parseStrictJson } from '@tessera/core'
import type { StreamEvent } from '@tessera/redis'
import type { RevocationBus, RevocationEvent } from '../../domain/revocation-bus.ts'

export interface StreamListenerOptions {
  readonly bus: RevocationBus
  /** A `keys_changed` entry arrived: another instance (or the CLI) changed the key ring. */
  readonly onKeysChanged: () => void
  /** How long an event is remembered to skip its repeats: the stream's window. */
  readonly windowSeconds: number
  readonly nowSeconds: () => number
}

/** A stream listener: the reader's `onEvent`, plus the unsubscribe from the bus. */
export interface StreamListener {
  readonly onEvent: (event: StreamEvent) => void
  close(): void
}

/**
 * Turns entries of the Redis event stream into this instance's business: revocations go onto its bus (so
 * the guards following its SSE feed hear of revocations made on other instances within milliseconds, not a
 * database poll later), `keys_changed` reloads its key ring. Revocations the bus already carried (made
 * here, or found by the poller first) are not published twice. Entries come from Redis, which only
 * Tessera writes, but are parsed strictly all the same: a malformed one throws, and the reader counts it.
 *
 * @example
 * const listener = createStreamListener({ bus, onKeysChanged: () => void ring.reload(), windowSeconds, nowSeconds })
 * new EventStreamReader({ redis, keys, from: 'end', nowSeconds, onEvent: listener.onEvent })
 */
export function createStreamListener(options: StreamListenerOptions): StreamListener {
  // identity → instant; pruned by the window so memory stays bounded by the revocations that still matter.
  const known = new Map<string, number>()
  let nextPruneAt = 0
  const remember = (identity: string, at: number): void => {
    known.set(identity, at)
    const now = options.nowSeconds()
    if (now < nextPruneAt) return
    for (const [key, instant] of known) if (instant < now - options.windowSeconds) known.delete(key)
    nextPruneAt = now + 60
  }
  const stopListening = options.bus.subscribe((event) => {
    for (const identity of identitiesOf(event)) remember(identity, event.at)
  })

  return {
    onEvent: (entry) => {
      if (entry.type === 'keys_changed') {
        options.onKeysChanged()
        return
      }
      const event = revocationOf(entry)
      if (event === undefined) return // a type of a later version: ignored, like the guard does
      const fresh =
        event.type === 'user_not_before'
          ? event
          : { ...event, sessionIds: event.sessionIds.filter((sid) => !known.has(`s:${sid}`)) }
      if (identitiesOf(fresh).every((identity) => known.has(identity))) return
      options.bus.publish(fresh)
    },
    close: stopListening,
  }
}

function identitiesOf(event: RevocationEvent): string[] {
  return event.type === 'user_not_before'
    ? [`u:${event.userId}:${event.at}`]
    : event.sessionIds.map((sid) => `s:${sid}`)
}

function revocationOf(entry: StreamEvent): RevocationEvent | undefined {
  if (entry.type !== 'session_revoked' && entry.type !== 'user_not_before') return undefined
  const data = parseStrictJson(entry.data)
  if (!isJsonObject(data)) throw new TypeError('a stream entry carries no JSON object')
  const { sub, at } = data
  if (typeof sub !== 'string' || sub === '' || !Number.isSafeInteger(at) || (at as number) < 0) {
    throw new TypeError('a stream entry has no valid sub or at')
  }
  if (entry.type === 'user_not_before') {
    return { type: 'user_not_before', userId: sub, at: at as number, source: 'stream' }
  }
  const { sids } = data
  if (!Array.isArray(sids) || !sids.every((sid) => typeof sid === 'string' && sid !== '')) {
    throw new TypeError('a stream entry has no valid sids')
  }
  return { type: 'session_revoked', sessionIds: sids, userId: sub, at: at as number, source: 'stream' }
}
