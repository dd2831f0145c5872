import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { PASSWORD, startTestServer, type TestServer, uniqueEmail } from '../../../test/support/test-server.ts'
import { createClient } from './create-client.ts'
import { TesseraClientError } from './index.ts'
import { openTokenClient, sessionEndings } from './testing/token-client.ts'

// Tokens live ≤ 900 s and the server allows 5 s of leeway.
const PAST_EXPIRY_SECONDS = 906

let server: TestServer
before(async () => {
  server = await startTestServer({ realIssuer: true })
})
after(async () => {
  await server.close()
})

describe('@tessera/client when things fail', () => {
  test('a resource that keeps answering 401 expired is retried exactly once', async () => {
    const { client, wire } = await openTokenClient(server, { signedIn: true })
    let hits = 0
    const api = createServer((_request, response) => {
      hits += 1
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="expired"',
      })
      response.end('{"error":"invalid_token","reason":"expired"}')
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    const { port } = api.address() as AddressInfo
    const response = await client.fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body: '{}' })
    assert.equal(response.status, 401)
    assert.equal(hits, 2)
    assert.equal(wire.count('/v1/refresh'), 1)
    await new Promise((resolve) => api.close(resolve))
    client.close()
  })

  test('network errors and 5xx reject as retryable and end nothing', async () => {
    const { client, wire, events } = await openTokenClient(server, { signedIn: true })
    const token = client.accessToken
    for (const failure of ['network', 503, 429] as const) {
      wire.failPath('/v1/refresh', failure)
      const error = await client.refresh().catch((e: unknown) => e)
      assert.ok(error instanceof TesseraClientError)
      assert.equal(error.retryable, true)
      assert.equal(error.reason, 'network')
      assert.equal(error.status, failure === 'network' ? undefined : failure)
    }
    assert.equal(client.accessToken, token)
    assert.deepEqual(sessionEndings(events), [])

    server.clock.advance(PAST_EXPIRY_SECONDS)
    const error = await client.fetch(`${server.url}/v1/me`).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError && error.retryable)
    wire.failPath('/v1/refresh', undefined)
    assert.equal((await client.fetch(`${server.url}/v1/me`)).status, 200)
    client.close()
  })

  test('an unreachable issuer rejects signIn as a retryable network error', async () => {
    const client = createClient({ issuer: 'http://127.0.0.1:9', mode: 'token' })
    const error = await client.signIn({ email: uniqueEmail(), password: PASSWORD }).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'network')
    assert.equal(error.retryable, true)
    client.close()
  })
})
