import { PASSWORD, type TestServer, uniqueEmail } from '../../../../test/support/test-server.ts'
import type { ClientEventType } from '../client-events.ts'
import { createClient, type TesseraClient } from '../create-client.ts'
import { createManualTimers, type ManualTimers } from './manual-timers.ts'
import { createRecordingFetch, type RecordingFetch } from './recording-fetch.ts'

/** A client event as recorded by {@link openTokenClient}. */
export interface RecordedEvent {
  readonly type: ClientEventType
  readonly detail: unknown
}

/** A token-mode client on a recorded wire, with hand-driven timers and a log of its events. */
export interface TokenClientSetup {
  readonly client: TesseraClient
  readonly wire: RecordingFetch
  readonly timers: ManualTimers
  readonly events: RecordedEvent[]
  /** Set by `signedIn`. */
  readonly email: string
}

/**
 * Opens a token-mode client against a test server; with `signedIn`, a fresh account is signed up first.
 *
 * @example
 * const { client, wire, events } = await openTokenClient(server, { signedIn: true })
 */
export async function openTokenClient(
  server: TestServer,
  options: { readonly signedIn: boolean },
): Promise<TokenClientSetup> {
  const wire = createRecordingFetch()
  const timers = createManualTimers()
  const client = createClient({ issuer: server.url, mode: 'token', fetch: wire.fetch, timers })
  const events: RecordedEvent[] = []
  for (const type of ['refreshed', 'signed-in', 'signed-out', 'session-ended'] as const) {
    client.addEventListener(type, (event) => events.push({ type, detail: event.detail }))
  }
  const email = uniqueEmail('client')
  if (options.signedIn) await client.signUp({ email, password: PASSWORD, name: 'Ada' })
  return { client, wire, timers, events, email }
}

/**
 * The `detail`s of the recorded `session-ended` events.
 *
 * @example
 * assert.deepEqual(sessionEndings(events), [{ reason: 'session_revoked', isFromOtherTab: false }])
 */
export function sessionEndings(events: readonly RecordedEvent[]): unknown[] {
  return events.filter((event) => event.type === 'session-ended').map((event) => event.detail)
}
