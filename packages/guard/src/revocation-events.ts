import { isJsonObject, parseStrictJson, TesseraError } from '@tessera/core'
import type { RevocationState } from './revocation-state.ts'
import type { ServerSentEvent } from './sse-parser.ts'

/** An event the guard cannot read. The feed drops the connection and asks for a fresh snapshot. */
export class FeedProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FeedProtocolError'
  }
}

type JsonObject = Readonly<Record<string, unknown>>

const knownTypes: ReadonlySet<string> = new Set([
  'snapshot',
  'resume',
  'session_revoked',
  'user_not_before',
  'ping',
])

/**
 * Applies one event of the revocation feed (docs/guard-protocol.md) to the state. `data` is parsed with
 * core's strict JSON parser; a known event whose data does not have its documented shape throws
 * `FeedProtocolError` — a revocation must never be skipped silently, so the feed reconnects instead.
 * - `snapshot` `{sessions:[{sid,sub,at}], users:[{sub,not_before}], window_seconds}`: merged in (an entry
 *   already known is kept, the later instant wins);
 * - `session_revoked` `{sids, sub, at}`; `user_not_before` `{sub, at}`;
 * - `resume` and `ping` carry nothing to apply (their data must still be a JSON object); other types are
 *   ignored, for forward compatibility.
 *
 * @example
 * applyFeedEvent({ type: 'user_not_before', data: '{"sub":"usr_1","at":1764400000}', lastEventId: 'a-7' },
 *   state, clock.nowSeconds())
 */
export function applyFeedEvent(event: ServerSentEvent, state: RevocationState, nowSeconds: number): void {
  if (!knownTypes.has(event.type)) return
  const data = parseData(event.data)
  switch (event.type) {
    case 'snapshot':
      applySnapshot(data, state, nowSeconds)
      break
    case 'session_revoked':
      state.revokeSessions(requireStrings(data.sids, 'sids'), requireInstant(data.at, 'at'), nowSeconds)
      break
    case 'user_not_before':
      state.setUserNotBefore(requireString(data.sub, 'sub'), requireInstant(data.at, 'at'), nowSeconds)
      break
  }
}

function applySnapshot(data: JsonObject, state: RevocationState, nowSeconds: number): void {
  const windowSeconds = data.window_seconds
  if (!Number.isSafeInteger(windowSeconds) || (windowSeconds as number) <= 0) {
    throw new FeedProtocolError('The snapshot has no valid window_seconds')
  }
  const sessions = requireObjects(data.sessions, 'sessions')
  const users = requireObjects(data.users, 'users')
  // Validate everything before applying anything: half a snapshot would look like a whole one.
  const revokedSessions = sessions.map((entry) => ({
    sid: requireString(entry.sid, 'sessions.sid'),
    at: requireInstant(entry.at, 'sessions.at'),
  }))
  const notBefores = users.map((entry) => ({
    sub: requireString(entry.sub, 'users.sub'),
    at: requireInstant(entry.not_before, 'users.not_before'),
  }))
  state.setWindowSeconds(windowSeconds as number)
  for (const { sid, at } of revokedSessions) state.revokeSessions([sid], at, nowSeconds)
  for (const { sub, at } of notBefores) state.setUserNotBefore(sub, at, nowSeconds)
}

function parseData(data: string): JsonObject {
  let parsed: unknown
  try {
    parsed = parseStrictJson(data)
  } catch (error) {
    if (error instanceof TesseraError) throw new FeedProtocolError('An event carries invalid JSON')
    throw error
  }
  if (!isJsonObject(parsed)) throw new FeedProtocolError('An event carries no JSON object')
  return parsed
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new FeedProtocolError(`An event has no valid ${name}`)
  return value
}

function requireStrings(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value)) throw new FeedProtocolError(`An event has no valid ${name}`)
  return value.map((item) => requireString(item, name))
}

function requireInstant(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new FeedProtocolError(`An event has no valid ${name}`)
  return value as number
}

function requireObjects(value: unknown, name: string): readonly JsonObject[] {
  if (!Array.isArray(value) || !value.every(isJsonObject))
    throw new FeedProtocolError(`An event has no valid ${name}`)
  return value as readonly JsonObject[]
}
