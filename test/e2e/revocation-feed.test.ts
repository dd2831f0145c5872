import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createTestClient, type TestClient } from '../support/service-clients.ts'
import { type EventStreamReader, openEventStream, type ServerSentEvent } from '../support/sse-reader.ts'
import { bearer, call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

const EVENT_ID = /^[0-9a-f]{16}-\d+$/

function dataOf(event: ServerSentEvent): Record<string, unknown> {
  return JSON.parse(event.data) as Record<string, unknown>
}

/** The next event that is not a ping. */
async function nextEvent(stream: EventStreamReader, timeoutMs = 2000): Promise<ServerSentEvent> {
  for (;;) {
    const event = await stream.next(timeoutMs)
    if (event.event !== 'ping') return event
  }
}

/**
 * The next event of one type. Other live events may come first: the server's poller also publishes what was
 * written to the database directly (as earlier tests here do), a fair source of events on a shared feed.
 */
async function nextEventOfType(stream: EventStreamReader, type: string): Promise<ServerSentEvent> {
  for (;;) {
    const event = await nextEvent(stream)
    if (event.event === type) return event
  }
}

async function logout(base: string, accessToken: string): Promise<void> {
  const response = await call(base, '/v1/logout', { method: 'POST', headers: bearer(accessToken) })
  assert.equal(response.status, 204)
}

describe('GET /v1/revocations (SSE feed) over real HTTP', () => {
  let t: TestServer
  let guard: TestClient
  const open: EventStreamReader[] = []

  async function connect(headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const stream = await openEventStream(`${t.url}/v1/revocations`, { ...guard.headers, ...headers })
    open.push(stream)
    return stream
  }

  before(async () => {
    t = await startTestServer()
    guard = await createTestClient(t, 'revocations:read')
  })
  after(async () => {
    for (const stream of open) stream.close()
    await t.close()
  })

  test('starts with a snapshot of recent revocations and not-before moves', async () => {
    const revoked = await signUp(t.url)
    await logout(t.url, revoked.accessToken)
    const moved = await signUp(t.url)
    const notBefore = t.clock.nowSeconds()
    await t.server.services.store.users.raiseNotBefore(moved.userId, notBefore)
    // Written to the database directly: let the poller put it on the bus now, not during a later test.
    await t.server.services.revocationPoller.poll()

    const stream = await connect()
    assert.equal(stream.status, 200)
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    assert.equal(stream.headers.get('cache-control'), 'no-store')
    const snapshot = await stream.next()
    assert.equal(snapshot.event, 'snapshot')
    assert.match(snapshot.id ?? '', EVENT_ID)
    const data = dataOf(snapshot) as {
      sessions: { sid: string; sub: string; at: number }[]
      users: { sub: string; not_before: number }[]
      window_seconds: number
    }
    assert.equal(data.window_seconds, 905, 'the access-token lifetime plus leeway')
    assert.deepEqual(
      data.sessions.find((s) => s.sid === revoked.sessionId),
      { sid: revoked.sessionId, sub: revoked.userId, at: t.clock.nowSeconds() },
    )
    assert.deepEqual(
      data.users.find((u) => u.sub === moved.userId),
      { sub: moved.userId, not_before: notBefore },
    )
    stream.close()
  })

  test('revocations older than the window are left out of the snapshot', async () => {
    const old = await signUp(t.url)
    await logout(t.url, old.accessToken)
    t.clock.advance(906)
    const stream = await connect()
    const data = dataOf(await stream.next()) as { sessions: { sid: string }[] }
    assert.equal(
      data.sessions.some((s) => s.sid === old.sessionId),
      false,
    )
    stream.close()
  })

  test('a logout reaches a connected reader within 1 second', async () => {
    const user = await signUp(t.url)
    const stream = await connect()
    assert.equal((await stream.next()).event, 'snapshot')
    const startedMs = performance.now()
    await logout(t.url, user.accessToken)
    const event = await nextEvent(stream, 1000)
    assert.ok(performance.now() - startedMs < 1000)
    assert.equal(event.event, 'session_revoked')
    assert.match(event.id ?? '', EVENT_ID)
    assert.deepEqual(dataOf(event), { sids: [user.sessionId], sub: user.userId, at: t.clock.nowSeconds() })
    stream.close()
  })

  test('a password change sends the other sessions; not-before moves travel as user_not_before', async () => {
    const user = await signUp(t.url)
    const other = await call(t.url, '/v1/login', {
      body: { email: user.email, password: 'correct horse battery staple' },
    })
    const stream = await connect()
    await stream.next()
    const changed = await call(t.url, '/v1/password', {
      body: { current_password: 'correct horse battery staple', new_password: 'another long passphrase' },
      headers: bearer(user.accessToken),
    })
    assert.equal(changed.status, 204)
    const revoked = await nextEventOfType(stream, 'session_revoked')
    assert.deepEqual(dataOf(revoked).sids, [other.body.session_id])
    const at = t.clock.nowSeconds()
    t.server.services.revocations.publish({ type: 'user_not_before', userId: user.userId, at })
    let notBefore = await nextEventOfType(stream, 'user_not_before')
    while ((dataOf(notBefore) as { sub?: unknown }).sub !== user.userId) {
      notBefore = await nextEventOfType(stream, 'user_not_before')
    }
    assert.deepEqual(dataOf(notBefore), { sub: user.userId, at })
    stream.close()
  })

  test('Last-Event-ID resumes after that event instead of a new snapshot', async () => {
    const stream = await connect()
    const snapshot = await stream.next()
    const first = await signUp(t.url)
    await logout(t.url, first.accessToken)
    const firstEvent = await nextEvent(stream)
    stream.close()
    const second = await signUp(t.url)
    await logout(t.url, second.accessToken)

    const resumed = await connect({ 'last-event-id': firstEvent.id ?? '' })
    const resume = await resumed.next()
    assert.deepEqual([resume.event, resume.data, resume.id], ['resume', '{}', firstEvent.id])
    const missed = await nextEvent(resumed)
    assert.equal(missed.event, 'session_revoked')
    assert.deepEqual(dataOf(missed).sids, [second.sessionId])
    resumed.close()

    const fromSnapshot = await connect({ 'last-event-id': snapshot.id ?? '' })
    assert.equal((await fromSnapshot.next()).event, 'resume')
    const replayed = [await nextEvent(fromSnapshot), await nextEvent(fromSnapshot)]
    assert.deepEqual(
      replayed.map((event) => dataOf(event).sids),
      [[first.sessionId], [second.sessionId]],
    )
    fromSnapshot.close()

    for (const unknown of ['0123456789abcdef-1', 'garbage', `${firstEvent.id?.split('-')[0]}-999999`]) {
      const fresh = await connect({ 'last-event-id': unknown })
      assert.equal((await fresh.next()).event, 'snapshot', `for ${unknown}`)
      fresh.close()
    }
  })

  test('needs HTTP Basic and the revocations:read scope', async () => {
    const anonymous = await call(t.url, '/v1/revocations')
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.error, 'invalid_client')
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"')
    const minter = await createTestClient(t, 'tokens:mint')
    const unentitled = await call(t.url, '/v1/revocations', { headers: minter.headers })
    assert.equal(unentitled.status, 403)
    assert.equal(unentitled.body.reason, 'insufficient_scope')
  })

  test('closing the server ends open streams instead of waiting for them', async () => {
    const own = await startTestServer()
    const client = await createTestClient(own, 'revocations:read')
    const streams = await Promise.all(
      [1, 2, 3].map(() => openEventStream(`${own.url}/v1/revocations`, client.headers)),
    )
    for (const stream of streams) assert.equal((await stream.next()).event, 'snapshot')
    const startedMs = performance.now()
    await Promise.race([
      own.close(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('app.close() hung')), 3000)),
    ])
    assert.ok(performance.now() - startedMs < 3000)
    for (const stream of streams) await stream.ended(1000)
  })
})
