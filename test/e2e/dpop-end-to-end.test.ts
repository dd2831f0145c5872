/**
 * DPoP end to end (issue "DPoP: sender-constrained tokens"): a Node `@tessera/client` in DPoP mode, with a
 * non-extractable key, signs in to the real auth server, calls an API behind the guard, refreshes and keeps
 * going. Everything an attacker could capture — the access token, the proofs the client sent, the refresh
 * token — is then replayed the ways RFC 9449 §11 worries about, and each is refused with `dpop_invalid` for
 * the right check, while the honest client carries on.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { createClient, type TesseraClient } from '@tessera/client'
import { createManualClock, type ManualClock } from '@tessera/core'
import { createGuard, type Guard } from '@tessera/guard'
import { createDpopKeyHolder } from '../support/dpop-key-holder.ts'
import { createTestClient, decodeClaims } from '../support/service-clients.ts'
import { call, PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts'

interface GuardedApi {
  readonly url: string
  readonly guard: Guard
  close(): Promise<void>
}

async function startGuardedApi(guard: Guard): Promise<GuardedApi> {
  const server: Server = createServer(
    guard.node((request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ ok: true, sid: request.auth?.claims.sid ?? null }))
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    guard,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await guard.close()
    },
  }
}

/** What the client sent: method, URL and headers of every request, in order. */
interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Headers
}

describe('DPoP end to end: client, auth server, guard', () => {
  let t: TestServer
  let api: GuardedApi
  let heldApi: GuardedApi
  let heldClock: ManualClock
  let client: TesseraClient
  const sent: Sent[] = []
  /** The newest refresh token the server handed the client, read off the wire as a thief would. */
  let lastRefreshToken = ''
  /** Requests to these URLs are captured but never delivered: their proofs stay unused. */
  const held = new Set<string>()

  const lastSentTo = (url: string): Sent => {
    const found = sent.findLast((request) => request.url === url)
    assert.ok(found, `nothing was sent to ${url}`)
    return found
  }
  const callApi = (base: string, path: string, headers: Record<string, string>, method = 'GET') =>
    call(base, path, { method, headers })

  before(async () => {
    const realClock = { nowSeconds: () => Math.floor(Date.now() / 1000) }
    t = await startTestServer({
      realIssuer: true,
      clock: realClock,
      env: { TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api' },
    })
    const feedClient = await createTestClient(t, 'revocations:read')
    api = await startGuardedApi(
      createGuard({
        issuer: t.url,
        audience: 'orders-api',
        client: { id: feedClient.id, secret: feedClient.secret },
      }),
    )
    // A second API whose guard runs on a clock the test moves, to age a captured proof past its window.
    heldClock = createManualClock(Math.floor(Date.now() / 1000))
    heldApi = await startGuardedApi(createGuard({ issuer: t.url, audience: 'orders-api', clock: heldClock }))
    client = createClient({
      issuer: t.url,
      mode: 'token',
      dpop: true,
      fetch: async (input, init) => {
        const request = new Request(input, init)
        sent.push({ method: request.method, url: request.url, headers: new Headers(request.headers) })
        if (held.has(request.url)) return new Response('{}', { status: 200 })
        const response = await fetch(request)
        if (request.url.startsWith(t.url) && response.ok) {
          const body = (await response.clone().json()) as { refresh_token?: unknown }
          if (typeof body.refresh_token === 'string') lastRefreshToken = body.refresh_token
        }
        return response
      },
    })
    await call(t.url, '/v1/signup', { body: { email: 'dpop-e2e@example.test', password: PASSWORD } })
  })
  after(async () => {
    client.close()
    await api.close()
    await heldApi.close()
    await t.close()
  })

  test('the client signs in with a proof, calls the API through the guard, refreshes and keeps going', async () => {
    const signedIn = await client.signIn({ email: 'dpop-e2e@example.test', password: PASSWORD })
    const login = lastSentTo(`${t.url}/v1/login`)
    assert.ok(login.headers.get('dpop'), 'the login carried a proof')
    assert.ok(signedIn.user?.id)
    const first = await client.fetch(`${api.url}/orders`)
    assert.equal(first.status, 200, await first.clone().text())
    const orders = lastSentTo(`${api.url}/orders`)
    const token = (orders.headers.get('authorization') ?? '').replace(/^DPoP /, '')
    const jkt = (decodeClaims(token).cnf as { jkt: string }).jkt
    assert.equal(jkt.length, 43)

    await client.refresh()
    const afterRefresh = await client.fetch(`${api.url}/orders`)
    assert.equal(afterRefresh.status, 200)
    const newToken = (lastSentTo(`${api.url}/orders`).headers.get('authorization') ?? '').replace(
      /^DPoP /,
      '',
    )
    assert.notEqual(newToken, token)
    assert.deepEqual(decodeClaims(newToken).cnf, { jkt }, 'the refreshed token is bound to the same key')
    for (let call = 0; call < 5; call += 1)
      assert.equal((await client.fetch(`${api.url}/orders`)).status, 200)
  })

  test('the captured token and proofs are refused every way an attacker could replay them', async () => {
    assert.equal((await client.fetch(`${api.url}/orders`)).status, 200)
    const captured = lastSentTo(`${api.url}/orders`)
    const authorization = captured.headers.get('authorization') ?? ''
    const token = authorization.replace(/^DPoP /, '')
    const proof = captured.headers.get('dpop') ?? ''
    const refusals: Array<[string, Awaited<ReturnType<typeof callApi>>, string, RegExp]> = [
      [
        'as a bearer token',
        await callApi(api.url, '/orders', { authorization: `Bearer ${token}` }),
        'invalid_token',
        /DPoP-bound/,
      ],
      [
        'without a proof',
        await callApi(api.url, '/orders', { authorization }),
        'invalid_dpop_proof',
        /proof header is required/,
      ],
      [
        'with a proof from another key',
        await callApi(api.url, '/orders', {
          authorization,
          dpop: createDpopKeyHolder().proof({
            method: 'GET',
            url: `${api.url}/orders`,
            nowSeconds: Math.floor(Date.now() / 1000),
            accessToken: token,
          }),
        }),
        'invalid_dpop_proof',
        /cnf\.jkt/,
      ],
      [
        'with its proof for another method',
        await callApi(api.url, '/orders', { authorization, dpop: proof }, 'POST'),
        'invalid_dpop_proof',
        /htm/,
      ],
      [
        'with its proof for another URL',
        await callApi(api.url, '/invoices', { authorization, dpop: proof }),
        'invalid_dpop_proof',
        /htu/,
      ],
      [
        'with its proof again (reused jti)',
        await callApi(api.url, '/orders', { authorization, dpop: proof }),
        'invalid_dpop_proof',
        /already used/,
      ],
    ]
    for (const [label, response, error, message] of refusals) {
      assert.equal(response.status, 401, `${label}: ${response.text}`)
      assert.equal(response.body.reason, 'dpop_invalid', label)
      assert.equal(response.body.error, error, label)
      assert.match(String(response.body.message), message, label)
      // A token sent as Bearer is answered in the scheme it came in (RFC 6750 §3); proof faults with DPoP's.
      assert.match(
        response.headers.get('www-authenticate') ?? '',
        label === 'as a bearer token' ? /^Bearer / : /^DPoP /,
        label,
      )
    }
    // The honest client was not disturbed by any of it.
    assert.equal((await client.fetch(`${api.url}/orders`)).status, 200)
  })

  test('a captured, never-used proof is refused once its iat is stale', async () => {
    const heldUrl = `${heldApi.url}/orders`
    held.add(heldUrl)
    await client.fetch(heldUrl)
    held.delete(heldUrl)
    const captured = lastSentTo(heldUrl)
    const headers = {
      authorization: captured.headers.get('authorization') ?? '',
      dpop: captured.headers.get('dpop') ?? '',
    }
    heldClock.advance(120)
    const stale = await callApi(heldApi.url, '/orders', headers)
    assert.equal(stale.status, 401, stale.text)
    assert.equal(stale.body.reason, 'dpop_invalid')
    assert.match(String(stale.body.message), /iat/)
  })

  test('the refresh token used without the key fails and does not end the honest session', async () => {
    await client.refresh()
    const stolenRefreshToken = lastRefreshToken
    assert.match(stolenRefreshToken, /^tsr_/)
    const now = (): number => Math.floor(Date.now() / 1000)
    const withoutKey = await call(t.url, '/v1/refresh', { body: { refresh_token: stolenRefreshToken } })
    assert.equal(withoutKey.status, 401, withoutKey.text)
    assert.equal(withoutKey.body.error, 'invalid_grant')
    assert.equal(withoutKey.body.reason, 'dpop_invalid')
    const withThiefKey = await call(t.url, '/v1/refresh', {
      body: { refresh_token: stolenRefreshToken },
      headers: {
        dpop: createDpopKeyHolder().proof({ method: 'POST', url: `${t.url}/v1/refresh`, nowSeconds: now() }),
      },
    })
    assert.equal(withThiefKey.status, 401, withThiefKey.text)
    assert.equal(withThiefKey.body.reason, 'dpop_invalid')
    // The honest client still refreshes with that very token, and its API calls go on.
    await client.refresh()
    assert.notEqual(lastRefreshToken, stolenRefreshToken)
    assert.equal((await client.fetch(`${api.url}/orders`)).status, 200)
  })
})
