import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  call,
  PASSWORD,
  startTestServer,
  type TestServer,
} from '../../../test/support/test-server.ts'
import { readAccessTokenTimes } from './access-token-timing.ts'
import type { ClientEventDetails } from './client-events.ts'
import { TesseraClientError } from './index.ts'
import { openTokenClient, sessionEndings } from './testing/token-client.ts'

// The test server's access tokens live 900 s (minus up to 5% jitter) and the server allows 5 s of clock
// leeway: 906 s later every one has expired.
const PAST_EXPIRY_SECONDS = 906

let server: TestServer
before(async () => {
  server = await startTestServer({ realIssuer: true })
})
after(async () => {
  await server.close()
})

describe('@tessera/client in token mode against a real server', () => {
  test('signUp and signIn keep the token in memory and fetch sends it', async () => {
    const { client, events, email } = await openTokenClient(server, { signedIn: true })
    assert.equal(typeof client.accessToken, 'string')
    const me = await client.fetch(`${server.url}/v1/me`)
    assert.equal(me.status, 200)
    assert.equal(((await me.json()) as { user: { email: string } }).user.email, email)

    const second = await openTokenClient(server, { signedIn: false })
    const result = await second.client.signIn({ email, password: PASSWORD })
    assert.equal(result.user?.email, email)
    assert.match(result.sessionId ?? '', /^ses_/)
    assert.deepEqual(
      second.events.map((e) => e.type),
      ['signed-in'],
    )
    assert.deepEqual(
      events.map((e) => e.type),
      ['signed-in'],
    )
    // Memory only: nothing about the tokens is visible on the object.
    assert.equal(JSON.stringify(client), '{}')
    client.close()
    second.client.close()
  })

  test('a wrong password rejects with invalid_credentials and fires no event', async () => {
    const { client: existing, email } = await openTokenClient(server, { signedIn: true })
    const { client, events } = await openTokenClient(server, { signedIn: false })
    const error = await client.signIn({ email, password: 'not the password' }).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'invalid_credentials')
    assert.equal(error.status, 401)
    assert.equal(error.retryable, false)
    assert.equal(client.accessToken, undefined)
    assert.deepEqual(events, [])
    existing.close()
    client.close()
  })

  test('an expired token is refreshed once and the request retried once', async () => {
    const { client, wire, events } = await openTokenClient(server, { signedIn: true })
    const oldToken = client.accessToken!
    server.clock.advance(PAST_EXPIRY_SECONDS)
    const direct = await call(server.url, '/v1/me', { headers: bearer(oldToken) })
    assert.equal(
      direct.body.reason,
      'expired',
      `the setup must really have expired the token: ${direct.status} ${direct.text}`,
    )

    const me = await client.fetch(`${server.url}/v1/me`)
    assert.equal(me.status, 200)
    assert.equal(wire.count('/v1/refresh'), 1)
    assert.equal(wire.count('/v1/me'), 2)
    assert.notEqual(client.accessToken, oldToken)
    const refreshed = events.filter((e) => e.type === 'refreshed')
    assert.equal(refreshed.length, 1)
    assert.equal((refreshed[0]!.detail as ClientEventDetails['refreshed']).isFromOtherTab, false)
    client.close()
  })

  test('concurrent fetches with an expired token cause exactly one refresh on the wire', async () => {
    const { client, wire } = await openTokenClient(server, { signedIn: true })
    server.clock.advance(PAST_EXPIRY_SECONDS)
    const responses = await Promise.all(Array.from({ length: 8 }, () => client.fetch(`${server.url}/v1/me`)))
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(8).fill(200),
    )
    assert.equal(wire.count('/v1/refresh'), 1)
    // Each request was sent at most twice: the expired attempt and one retry.
    assert.equal(wire.count('/v1/me'), 16)
    client.close()
  })

  test('the proactive timer refreshes before expiry and is rescheduled', async () => {
    const { client, wire, timers } = await openTokenClient(server, { signedIn: true })
    const [timer] = timers.pending()
    assert.equal(timers.pending().length, 1)
    const times = readAccessTokenTimes(client.accessToken!)!
    const dueMs = (times.expiresAt - times.issuedAt! - 30) * 1000
    assert.ok(timer!.delayMs <= dueMs && timer!.delayMs > dueMs - 60_000, `${timer!.delayMs} vs ${dueMs}`)
    const before = client.accessToken
    timers.fireAll()
    await new Promise<void>((resolve) =>
      client.addEventListener('refreshed', () => resolve(), { once: true }),
    )
    assert.equal(wire.count('/v1/refresh'), 1)
    assert.notEqual(client.accessToken, before)
    assert.equal(timers.pending().length, 1, 'the next refresh is scheduled for the new token')
    client.close()
    assert.equal(timers.pending().length, 0, 'close() clears the timer')
    const error = await client.fetch(`${server.url}/v1/me`).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError && error.reason === 'closed')
  })

  test('a session revoked from another device ends with session_revoked', async () => {
    const { client, wire, events, email } = await openTokenClient(server, { signedIn: true })
    const other = await call(server.url, '/v1/login', { body: { email, password: PASSWORD } })
    const otherToken = String(other.body.access_token)
    const revoke = await call(server.url, '/v1/sessions?keep_current=true', {
      method: 'DELETE',
      headers: bearer(otherToken),
    })
    assert.equal(revoke.status, 204)

    const me = await client.fetch(`${server.url}/v1/me`)
    assert.equal(me.status, 401)
    assert.equal(((await me.json()) as { reason: string }).reason, 'session_revoked')
    assert.deepEqual(sessionEndings(events), [{ reason: 'session_revoked', isFromOtherTab: false }])
    assert.equal(client.accessToken, undefined)
    assert.equal(wire.count('/v1/refresh'), 1)

    // Ended means ended: no further refresh attempts, the API's 401 is the answer.
    const again = await client.fetch(`${server.url}/v1/me`)
    assert.equal(again.status, 401)
    assert.equal(wire.count('/v1/refresh'), 1)
    const error = await client.refresh().catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'missing_token')
    client.close()
  })

  test('a stolen refresh token used first makes the client see refresh_token_reused', async () => {
    const { client, wire, events } = await openTokenClient(server, { signedIn: true })
    const signup = wire.answers.find((a) => a.path === '/v1/signup')
    const stolen = String((signup!.body as { refresh_token: string }).refresh_token)
    const thief = await call(server.url, '/v1/refresh', { body: { refresh_token: stolen } })
    assert.equal(thief.status, 200)
    server.clock.advance(11) // past the 10 s grace window
    const error = await client.refresh().catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'refresh_token_reused')
    assert.deepEqual(sessionEndings(events), [{ reason: 'refresh_token_reused', isFromOtherTab: false }])
    client.close()
  })

  test('signOut ends the session on the server and fires signed-out', async () => {
    const { client, wire, events } = await openTokenClient(server, { signedIn: true })
    const token = client.accessToken!
    await client.signOut()
    assert.equal(client.accessToken, undefined)
    assert.deepEqual(events.at(-1), { type: 'signed-out', detail: { isFromOtherTab: false } })
    const logout = wire.requests.find((r) => r.path === '/v1/logout')
    assert.equal(logout?.headers.get('authorization'), null, 'one credential only: the refresh token')
    const me = await call(server.url, '/v1/me', { headers: bearer(token) })
    assert.equal(me.body.reason, 'session_revoked')
    client.close()
  })
})
