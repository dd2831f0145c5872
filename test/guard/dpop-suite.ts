import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard } from '@tessera/guard'
import { type AdapterServer, type AdapterUnderTest, SUITE_ROUTES } from './adapter-suite.ts'
import { createDpopClient, dpopChallengeFor, dpopHeaders } from './dpop-fixtures.ts'
import { AUDIENCE, bearer, challengeFor, type RawResponse, send, tokenClaims } from './guard-fixtures.ts'

const issuer = 'http://localhost:8080'

function assertDpopRefused(response: RawResponse, challenge: string, error = 'invalid_dpop_proof'): void {
  assert.equal(response.status, 401, JSON.stringify(response.body))
  assert.equal(response.body.reason, 'dpop_invalid')
  assert.equal(response.body.error, error)
  assert.equal(response.headers['www-authenticate'], challenge)
}

/**
 * DPoP at the resource server (RFC 9449 §7), over real HTTP through one adapter: the request's method and
 * absolute URL (from the `Host` header of a plain socket), the token's `ath` and `cnf.jkt`, one-time `jti`s.
 */
export function runDpopSuite(adapter: AdapterUnderTest): void {
  describe(`guard DPoP behind ${adapter.name}`, () => {
    const key = generateSigningKey('EdDSA', 'k-ed')
    const client = createDpopClient()
    const otherClient = createDpopClient()
    let clock: ManualClock
    let guard: Guard
    let server: AdapterServer
    let ordersUrl: string

    const now = (): number => clock.nowSeconds()
    const mint = (overrides: Record<string, unknown> = {}): string =>
      signAccessToken(tokenClaims(issuer, now(), { cnf: { jkt: client.jkt }, ...overrides }), key)
    const proofFor = (token: string, overrides: { method?: string; url?: string; iat?: number } = {}) =>
      client.proof({
        method: overrides.method ?? 'GET',
        url: overrides.url ?? ordersUrl,
        accessToken: token,
        nowSeconds: overrides.iat ?? now(),
      })
    const get = (headers: OutgoingHttpHeaders, path = '/orders'): Promise<RawResponse> =>
      send(server.url, path, { headers })

    before(async () => {
      clock = createManualClock(Math.floor(Date.now() / 1000))
      guard = createGuard({ issuer, audience: AUDIENCE, clock, jwks: { keys: [exportPublicJwk(key)] } })
      server = await adapter.start(guard, SUITE_ROUTES)
      ordersUrl = `${server.url}/orders`
    })
    after(async () => {
      await server.close()
      await guard.close()
    })

    test('a bound token with a valid proof passes; a second request needs and gets its own fresh proof', async () => {
      const token = mint()
      const first = await get(dpopHeaders(token, proofFor(token)))
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.equal(first.body.subject, 'usr_alice')
      // Same token again: a verified-token cache hit, which must still check a new proof, and pass with one.
      const second = await get({ ...dpopHeaders(token, proofFor(token)), authorization: `dpop ${token}` })
      assert.equal(second.status, 200, JSON.stringify(second.body))
      // …and must still refuse the request without one.
      assertDpopRefused(await get(dpopHeaders(token)), dpopChallengeFor())
    })

    test('the proof is checked against the query-less URL and the method of the request', async () => {
      const token = mint()
      const post = await send(server.url, '/orders?page=2', {
        method: 'POST',
        headers: dpopHeaders(token, proofFor(token, { method: 'POST' })),
      })
      assert.equal(post.status, 200, JSON.stringify(post.body))
    })

    const refusals: readonly { label: string; headers: (token: string) => OutgoingHttpHeaders }[] = [
      { label: 'no DPoP header', headers: (token) => dpopHeaders(token) },
      {
        label: 'two DPoP headers',
        headers: (token) => dpopHeaders(token, proofFor(token), proofFor(token)),
      },
      {
        label: 'a proof for another method',
        headers: (token) => dpopHeaders(token, proofFor(token, { method: 'POST' })),
      },
      {
        label: 'a proof for another URL',
        headers: (token) => dpopHeaders(token, proofFor(token, { url: `${server.url}/billing` })),
      },
      {
        label: 'a proof for another origin',
        headers: (token) => dpopHeaders(token, proofFor(token, { url: 'https://api.example.com/orders' })),
      },
      {
        label: 'a stale iat (two minutes old)',
        headers: (token) => dpopHeaders(token, proofFor(token, { iat: now() - 120 })),
      },
      {
        label: 'a proof signed by another key',
        headers: (token) =>
          dpopHeaders(
            token,
            otherClient.proof({ method: 'GET', url: ordersUrl, accessToken: token, nowSeconds: now() }),
          ),
      },
      {
        label: 'a proof made for another token (wrong ath)',
        headers: (token) => dpopHeaders(token, proofFor(mint())),
      },
      { label: 'a proof that is not a JWS', headers: (token) => dpopHeaders(token, 'not-a-proof') },
    ]
    for (const refusal of refusals) {
      test(`dpop_invalid (invalid_dpop_proof): ${refusal.label}`, async () => {
        assertDpopRefused(await get(refusal.headers(mint())), dpopChallengeFor())
      })
    }

    test('dpop_invalid: a replayed proof, and a new proof reusing a jti, are refused', async () => {
      const token = mint()
      const proof = proofFor(token)
      assert.equal((await get(dpopHeaders(token, proof))).status, 200)
      assertDpopRefused(await get(dpopHeaders(token, proof)), dpopChallengeFor())
      // A different proof text (one second later) with the same jti: replay is keyed on (jkt, jti).
      const jti = 'jti-reused'
      const proofAt = (nowSeconds: number): string =>
        client.proof({ method: 'GET', url: ordersUrl, accessToken: token, nowSeconds, jti })
      assert.equal((await get(dpopHeaders(token, proofAt(now())))).status, 200)
      clock.advance(1)
      assertDpopRefused(await get(dpopHeaders(token, proofAt(now()))), dpopChallengeFor())
    })

    test('dpop_invalid with a Bearer challenge: a bound token presented as Bearer, even with a proof', async () => {
      const token = mint()
      const response = await get({ ...bearer(token), dpop: proofFor(token) })
      assertDpopRefused(response, challengeFor('dpop_invalid'), 'invalid_token')
    })

    test('dpop_invalid (invalid_token): an unbound token under the DPoP scheme, even with a valid proof', async () => {
      const token = mint({ cnf: undefined })
      const response = await get(dpopHeaders(token, proofFor(token)))
      assertDpopRefused(response, dpopChallengeFor('dpop_invalid', 'invalid_token'), 'invalid_token')
      // The same token as Bearer still works exactly as before.
      assert.equal((await get(bearer(token))).status, 200)
    })

    test('a token fault under the DPoP scheme gets a DPoP challenge with invalid_token', async () => {
      const token = mint({ iat: now() - 700, exp: now() - 100 })
      const response = await get(dpopHeaders(token, proofFor(token)))
      assert.equal(response.status, 401)
      assert.equal(response.body.reason, 'expired')
      assert.equal(response.headers['www-authenticate'], dpopChallengeFor('expired', 'invalid_token'))
    })
  })
}
