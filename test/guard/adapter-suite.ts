import assert from 'node:assert/strict'
import { createPublicKey, createSecretKey } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  encodeBase64url,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  type SigningKey,
  signAccessToken,
  signJws,
} from '@tessera/core'
import { type AuthContext, createGuard, type Guard, type RouteOptions } from '@tessera/guard'
import {
  AUDIENCE,
  bearer,
  challengeFor,
  fingerprintHash,
  type RawResponse,
  send,
  tokenClaims,
} from './guard-fixtures.ts'
import { CLIENT, type LoopbackIssuer, startLoopbackIssuer } from './loopback-issuer.ts'

/** A route the adapter under test must serve behind the guard. */
export interface SuiteRoute {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly options?: RouteOptions
}

export interface AdapterServer {
  readonly url: string
  close(): Promise<void>
}

/** One adapter: how to serve `routes` behind `guard` on a real ephemeral loopback port. */
export interface AdapterUnderTest {
  readonly name: string
  /** The framework parses a JSON body before the guard runs, so a body `access_token` can be refused. */
  readonly parsesJsonBody: boolean
  start(guard: Guard, routes: readonly SuiteRoute[]): Promise<AdapterServer>
}

export const SUITE_ROUTES: readonly SuiteRoute[] = [
  { method: 'GET', path: '/orders', options: { scope: 'orders:read' } },
  { method: 'POST', path: '/orders', options: { scope: 'orders:read' } },
  { method: 'GET', path: '/fresh', options: { maxAge: '5m' } },
  { method: 'GET', path: '/bound/a' },
  { method: 'GET', path: '/billing', options: { audience: 'billing-api' } },
]

/** What every handler answers, proving the guard's context reached it. */
export function describeAuth(auth: AuthContext | undefined): Record<string, unknown> {
  if (auth === undefined) throw new Error('the guard did not set auth')
  return {
    subject: auth.subject,
    sessionId: auth.sessionId ?? null,
    clientId: auth.clientId,
    scopes: auth.scopes,
  }
}

function assertRefused(
  response: RawResponse,
  reason: string,
  status: number,
  challenge: string | undefined,
): void {
  assert.equal(response.status, status, `${reason}: ${JSON.stringify(response.body)}`)
  assert.equal(response.body.reason, reason)
  assert.equal(typeof response.body.message, 'string')
  assert.equal(response.headers['cache-control'], 'no-store')
  assert.equal(response.headers['www-authenticate'], challenge)
}

interface TokenCase {
  readonly label: string
  readonly reason: string
  readonly token: () => string
  readonly path?: string
  readonly headers?: OutgoingHttpHeaders
}

/**
 * The shared suite: every reason code the guard can produce, provoked over real HTTP through one adapter,
 * asserted by reason, status and header (RFC 6750 §3 challenge, or `Retry-After` for a 503).
 */
export function runAdapterSuite(adapter: AdapterUnderTest): void {
  describe(`guard behind ${adapter.name}`, () => {
    let clock: ManualClock
    let issuer: LoopbackIssuer
    let silentIssuer: LoopbackIssuer
    let guard: Guard
    let staleGuard: Guard
    let server: AdapterServer
    let staleServer: AdapterServer
    const key = generateSigningKey('EdDSA', 'k-ed')
    const esKey = generateSigningKey('ES256', 'k-es')
    const stranger = generateSigningKey('EdDSA', 'k-stranger')
    const impostor = generateSigningKey('EdDSA', 'k-ed') // the right kid, the wrong key
    // RFC 8725 §2.1 key confusion: the public key's PEM bytes used as an HMAC secret.
    const publicKeyAsHmac: SigningKey = {
      kid: 'k-ed',
      alg: 'HS256',
      key: createSecretKey(Buffer.from(createPublicKey(key.key).export({ type: 'spki', format: 'pem' }))),
    }

    const now = (): number => clock.nowSeconds()
    const mint = (overrides: Record<string, unknown> = {}, signer: SigningKey = key): string =>
      signAccessToken(tokenClaims(issuer.url, now(), overrides), signer)
    const mintRaw = (header: { typ?: string }, payload: unknown, signer: SigningKey = key): string =>
      signJws(header, Buffer.from(JSON.stringify(payload)), signer)
    const get = (path: string, headers: OutgoingHttpHeaders = {}): Promise<RawResponse> =>
      send(server.url, path, { headers })

    before(async () => {
      clock = createManualClock(Math.floor(Date.now() / 1000))
      issuer = await startLoopbackIssuer()
      issuer.setJwks([exportPublicJwk(key), exportPublicJwk(esKey)])
      issuer.revokeSessions(['ses_revoked'], 'usr_bob', now() - 60)
      issuer.setUserNotBefore('usr_carol', now())
      guard = createGuard({ issuer: issuer.url, audience: AUDIENCE, client: CLIENT, clock })
      server = await adapter.start(guard, SUITE_ROUTES)
      silentIssuer = await startLoopbackIssuer()
      silentIssuer.setFeedMode('refuse')
      staleGuard = createGuard({
        issuer: silentIssuer.url,
        audience: AUDIENCE,
        client: CLIENT,
        clock,
        jwks: { keys: [exportPublicJwk(key)] },
        networkTimeoutMs: 200,
      })
      staleServer = await adapter.start(staleGuard, SUITE_ROUTES)
    })
    after(async () => {
      await Promise.all([server.close(), staleServer.close(), guard.close(), staleGuard.close()])
      await Promise.all([issuer.close(), silentIssuer.close()])
    })

    test('a valid token (EdDSA and ES256) reaches the handler with its context', async () => {
      for (const signer of [key, esKey]) {
        const response = await get('/orders', bearer(mint({}, signer)))
        assert.equal(response.status, 200, JSON.stringify(response.body))
        assert.deepEqual(response.body, {
          subject: 'usr_alice',
          sessionId: 'ses_alice',
          clientId: 'web',
          scopes: ['openid', 'orders:read'],
        })
      }
    })

    test('missing_token: 401 with a challenge that has no error attribute', async () => {
      assertRefused(await get('/orders'), 'missing_token', 401, 'Bearer realm="tessera"')
    })

    const tokenCases: readonly TokenCase[] = [
      { label: 'not JSON inside', reason: 'malformed', token: () => 'abc.def.ghi' },
      {
        label: 'a claim of the wrong type',
        reason: 'malformed',
        token: () => mintRaw({ typ: 'at+jwt' }, { ...tokenClaims(issuer.url, now()), iat: String(now()) }),
      },
      { label: 'over 8 KiB', reason: 'token_too_large', token: () => 'a'.repeat(8193) },
      {
        label: 'alg none',
        reason: 'unsupported_alg',
        token: () =>
          `${encodeBase64url(Buffer.from('{"alg":"none","typ":"at+jwt"}'))}.${encodeBase64url(Buffer.from(JSON.stringify(tokenClaims(issuer.url, now()))))}.AAAA`,
      },
      {
        label: 'HS256 keyed with the public key',
        reason: 'unsupported_alg',
        token: () => mintRaw({ typ: 'at+jwt' }, tokenClaims(issuer.url, now()), publicKeyAsHmac),
      },
      { label: 'a kid nobody published', reason: 'unknown_key', token: () => mint({}, stranger) },
      {
        label: 'signed by another key under our kid',
        reason: 'bad_signature',
        token: () => mint({}, impostor),
      },
      {
        label: 'typ JWT',
        reason: 'wrong_type',
        token: () => mintRaw({ typ: 'JWT' }, tokenClaims(issuer.url, now())),
      },
      { label: 'another issuer', reason: 'wrong_issuer', token: () => mint({ iss: 'https://evil.example' }) },
      { label: 'another audience', reason: 'wrong_audience', token: () => mint({ aud: 'orders-api-evil' }) },
      { label: 'route audience override', reason: 'wrong_audience', path: '/billing', token: () => mint() },
      { label: 'exp passed', reason: 'expired', token: () => mint({ iat: now() - 700, exp: now() - 100 }) },
      {
        label: 'iat in the future',
        reason: 'not_yet_valid',
        token: () => mint({ iat: now() + 60, exp: now() + 600 }),
      },
      {
        label: 'older than maxAge 5m',
        reason: 'too_old',
        path: '/fresh',
        token: () => mint({ iat: now() - 400, exp: now() + 400 }),
      },
      {
        label: 'lives longer than 900 s',
        reason: 'lifetime_exceeded',
        token: () => mint({ exp: now() + 1000 }),
      },
      {
        label: 'issued before the user not-before',
        reason: 'revoked',
        token: () => mint({ sub: 'usr_carol', iat: now() - 10 }),
      },
      {
        label: 'of a revoked session',
        reason: 'session_revoked',
        token: () => mint({ sub: 'usr_bob', sid: 'ses_revoked' }),
      },
      {
        label: 'cookie-bound, no cookie',
        reason: 'fingerprint_mismatch',
        token: () => mint({ fph: fingerprintHash('fgp-1') }),
      },
      {
        label: 'cookie-bound, wrong cookie',
        reason: 'fingerprint_mismatch',
        token: () => mint({ fph: fingerprintHash('fgp-1') }),
        headers: { cookie: '__Host-tessera-fgp=fgp-2' },
      },
      {
        label: 'bound to another path',
        reason: 'wrong_path',
        path: '/bound/a',
        token: () => mint({ path: '/bound/b' }),
      },
      {
        label: 'DPoP-bound, sent as bearer',
        reason: 'dpop_invalid',
        token: () => mint({ cnf: { jkt: 'x'.repeat(43) } }),
      },
    ]
    for (const tokenCase of tokenCases) {
      test(`${tokenCase.reason}: ${tokenCase.label}`, async () => {
        const headers = { ...bearer(tokenCase.token()), ...tokenCase.headers }
        const response = await get(tokenCase.path ?? '/orders', headers)
        assertRefused(response, tokenCase.reason, 401, challengeFor(tokenCase.reason))
        assert.equal(response.body.error, 'invalid_token')
      })
    }

    test('insufficient_scope: 403 naming the needed scope', async () => {
      const response = await get('/orders', bearer(mint({ scope: 'orders:write' })))
      assertRefused(
        response,
        'insufficient_scope',
        403,
        challengeFor('insufficient_scope', 'insufficient_scope', ', scope="orders:read"'),
      )
      assert.equal(response.body.error, 'insufficient_scope')
    })

    test('uses_exhausted: a max_uses 2 token passes twice, then is refused', async () => {
      const token = mint({ max_uses: 2 })
      assert.equal((await get('/orders', bearer(token))).status, 200)
      assert.equal((await get('/orders', bearer(token))).status, 200)
      assertRefused(
        await get('/orders', bearer(token)),
        'uses_exhausted',
        401,
        challengeFor('uses_exhausted'),
      )
    })

    test('bindings that match pass: the right fingerprint cookie, the bound path with a query', async () => {
      const cookieBound = mint({ fph: fingerprintHash('fgp-1') })
      const withCookie = await get('/orders', {
        ...bearer(cookieBound),
        cookie: 'a=b; __Host-tessera-fgp=fgp-1',
      })
      assert.equal(withCookie.status, 200)
      assert.equal((await get('/bound/a?page=2', bearer(mint({ path: '/bound/a' })))).status, 200)
    })

    const invalidRequests: readonly { label: string; path: string; headers: OutgoingHttpHeaders }[] = [
      { label: 'a query-string token', path: '/orders?access_token=abc', headers: {} },
      {
        label: 'a query token next to a header',
        path: '/orders?access_token=abc',
        headers: { authorization: 'Bearer abc' },
      },
      // node's types allow one Authorization value; an array sends two header lines, which is the point.
      {
        label: 'two Authorization headers',
        path: '/orders',
        headers: { Authorization: ['Bearer abc', 'Bearer def'] },
      },
      { label: 'another scheme', path: '/orders', headers: { authorization: 'Basic YTpi' } },
      { label: 'a scheme without a token', path: '/orders', headers: { authorization: 'Bearer' } },
      { label: 'two tokens in one header', path: '/orders', headers: { authorization: 'Bearer abc def' } },
    ]
    for (const invalid of invalidRequests) {
      test(`invalid_request: ${invalid.label}`, async () => {
        const response = await get(invalid.path, invalid.headers)
        assertRefused(response, 'invalid_request', 400, challengeFor('invalid_request', 'invalid_request'))
      })
    }

    test('invalid_request: a token in the body, where the framework parses it', {
      skip: !adapter.parsesJsonBody,
    }, async () => {
      const response = await send(server.url, '/orders', {
        headers: bearer(mint()),
        json: { access_token: mint() },
      })
      assertRefused(response, 'invalid_request', 400, challengeFor('invalid_request', 'invalid_request'))
    })

    test('revoked with 503: a closed guard that cannot hear its feed refuses even a valid token', async () => {
      const token = signAccessToken(tokenClaims(silentIssuer.url, now()), key)
      const response = await send(staleServer.url, '/orders', { headers: bearer(token) })
      assertRefused(response, 'revoked', 503, undefined)
      assert.equal(response.body.error, 'temporarily_unavailable')
      assert.equal(response.headers['retry-after'], '5')
      assert.equal(staleGuard.health().revocation.state, 'stale-closed')
    })
  })
}
