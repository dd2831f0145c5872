import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeDpopAth } from '@tessera/core'
import { createClient, type TesseraClient } from './create-client.ts'
import { DpopProver } from './dpop-prover.ts'
import type { DpopOptions } from './index.ts'
import { TesseraClientError } from './index.ts'
import {
  createFakeDpopServers,
  FAKE_API,
  FAKE_ISSUER,
  type FakeDpopServers,
  type SeenProofRequest,
} from './testing/fake-dpop-servers.ts'
import { createManualTimers } from './testing/manual-timers.ts'
import type { RecordedEvent } from './testing/token-client.ts'

const CREDENTIALS = { email: 'ada@example.com', password: 'correct horse battery staple' }

interface DpopSetup {
  readonly client: TesseraClient
  readonly servers: FakeDpopServers
  readonly events: RecordedEvent[]
}

function openDpopClient(dpop: boolean | DpopOptions = true, servers = createFakeDpopServers()): DpopSetup {
  const timers = createManualTimers()
  const client = createClient({ issuer: FAKE_ISSUER, mode: 'token', dpop, fetch: servers.fetch, timers })
  const events: RecordedEvent[] = []
  for (const type of ['refreshed', 'signed-in', 'signed-out', 'session-ended'] as const) {
    client.addEventListener(type, (event) => events.push({ type, detail: event.detail }))
  }
  return { client, servers, events }
}

function claimsOf(seen: SeenProofRequest): Record<string, unknown> {
  const payload = seen.proof?.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

function headerOf(seen: SeenProofRequest): Record<string, unknown> {
  const header = seen.proof?.split('.')[0] ?? ''
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>
}

function assertVerified(seen: SeenProofRequest): void {
  assert.ok(seen.proof !== undefined, `${seen.method} ${seen.path} carried no DPoP proof`)
  assert.equal(seen.verdict?.ok, true, `${seen.path}: ${JSON.stringify(seen.verdict)}`)
}

const at = (servers: FakeDpopServers, origin: string, path: string): SeenProofRequest[] =>
  servers.seen.filter((seen) => seen.origin === origin && seen.path === path)

for (const alg of ['ES256', 'EdDSA'] as const) {
  test(`${alg}: every request to the issuer and the API carries a proof that core verifies`, async () => {
    const startSeconds = Math.floor(Date.now() / 1000)
    const { client, servers, events } = openDpopClient({ alg })
    await client.signIn(CREDENTIALS)
    assert.deepEqual(
      events.map((event) => event.type),
      ['signed-in'],
    )
    const firstToken = client.accessToken!
    const orders = await client.fetch(`${FAKE_API}/orders?page=2#top`, { method: 'POST', body: '{}' })
    assert.equal(orders.status, 200)
    await client.refresh()
    const secondToken = client.accessToken!
    assert.notEqual(secondToken, firstToken)
    assert.equal((await client.fetch(`${FAKE_API}/orders/7`)).status, 200)
    await client.signOut()
    const endSeconds = Math.floor(Date.now() / 1000)

    const seen = servers.seen
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.origin === FAKE_API ? 'api' : 'issuer'}${s.path}`),
      [
        'POST issuer/v1/login',
        'POST api/orders',
        'POST issuer/v1/refresh',
        'GET api/orders/7',
        'POST issuer/v1/logout',
      ],
    )
    for (const request of seen) {
      assertVerified(request)
      const header = headerOf(request)
      assert.equal(header.typ, 'dpop+jwt')
      assert.equal(header.alg, alg)
      const jwk = header.jwk as Record<string, unknown>
      assert.deepEqual(
        Object.keys(jwk).sort(),
        alg === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'],
      )
      assert.equal(request.verdict?.ok && request.verdict.jkt, servers.boundJkt(), 'one key for the client')
      const claims = claimsOf(request)
      assert.equal(claims.htm, request.method)
      assert.equal(claims.htu, `${request.origin}${request.path}`)
      const iat = claims.iat as number
      assert.ok(Number.isInteger(iat) && iat >= startSeconds && iat <= endSeconds, `iat ${iat}`)
    }
    const jtis = seen.map((request) => claimsOf(request).jti)
    assert.equal(new Set(jtis).size, seen.length, 'a fresh jti per proof')

    // The issuer's token endpoints get no access token and so no ath; the API gets both.
    for (const request of [
      ...at(servers, FAKE_ISSUER, '/v1/login'),
      ...at(servers, FAKE_ISSUER, '/v1/refresh'),
    ]) {
      assert.equal(claimsOf(request).ath, undefined)
      assert.equal(request.headers.get('authorization'), null)
    }
    const [postOrders, getOrder] = seen.filter((request) => request.origin === FAKE_API)
    assert.equal(postOrders?.headers.get('authorization'), `DPoP ${firstToken}`)
    assert.equal(claimsOf(postOrders!).ath, computeDpopAth(firstToken))
    assert.equal(getOrder?.headers.get('authorization'), `DPoP ${secondToken}`)
    assert.equal(claimsOf(getOrder!).ath, computeDpopAth(secondToken))
    // Sign-out sends one credential, the refresh token, so its proof carries no ath.
    const [logout] = at(servers, FAKE_ISSUER, '/v1/logout')
    assert.match(logout?.body ?? '', /refresh_token/)
    assert.equal(logout?.headers.get('authorization'), null)
    assert.equal(claimsOf(logout!).ath, undefined)
    client.close()
  })
}

describe('@tessera/client in DPoP mode', () => {
  test('sign-out with only an access token sends it as DPoP with its ath', async () => {
    const servers = createFakeDpopServers()
    servers.knobs.withRefreshToken = false
    const { client } = openDpopClient(true, servers)
    await client.signIn(CREDENTIALS)
    const token = client.accessToken!
    await client.signOut()
    const [logout] = at(servers, FAKE_ISSUER, '/v1/logout')
    assertVerified(logout!)
    assert.equal(logout?.headers.get('authorization'), `DPoP ${token}`)
    assert.equal(claimsOf(logout!).ath, computeDpopAth(token))
    client.close()
  })

  test('an expired token is refreshed and the retry carries a fresh proof for the new token', async () => {
    const { client, servers } = openDpopClient()
    await client.signIn(CREDENTIALS)
    const oldToken = client.accessToken!
    servers.knobs.expired.add(oldToken)
    const response = await client.fetch(`${FAKE_API}/orders`)
    assert.equal(response.status, 200)
    const apiCalls = at(servers, FAKE_API, '/orders')
    assert.equal(apiCalls.length, 2)
    assert.equal(at(servers, FAKE_ISSUER, '/v1/refresh').length, 1)
    for (const call of apiCalls) assertVerified(call)
    const [first, retry] = apiCalls.map(claimsOf)
    assert.notEqual(first?.jti, retry?.jti)
    assert.equal(first?.ath, computeDpopAth(oldToken))
    assert.equal(retry?.ath, computeDpopAth(client.accessToken!))
    client.close()
  })

  test('the issuer asks for a nonce: one retry with it, and later proofs use the newest one', async () => {
    const servers = createFakeDpopServers()
    servers.knobs.issuerNonces = 'required'
    servers.knobs.apiNonces = 'required'
    const { client } = openDpopClient(true, servers)
    await client.signIn(CREDENTIALS)
    const logins = at(servers, FAKE_ISSUER, '/v1/login')
    assert.equal(logins.length, 2)
    assert.equal(claimsOf(logins[0]!).nonce, undefined)
    assert.equal(logins[0]?.verdict?.ok === false && logins[0].verdict.check, 'nonce')
    assertVerified(logins[1]!)
    assert.notEqual(claimsOf(logins[0]!).jti, claimsOf(logins[1]!).jti)

    // The login's success answer carried the next nonce: the refresh uses it at once.
    await client.refresh()
    const refreshes = at(servers, FAKE_ISSUER, '/v1/refresh')
    assert.equal(refreshes.length, 1)
    assertVerified(refreshes[0]!)
    assert.match(String(claimsOf(refreshes[0]!).nonce), /^issuer-nonce-/)

    // The API has nonces of its own: the issuer's are never sent there (per origin).
    assert.equal((await client.fetch(`${FAKE_API}/orders`)).status, 200)
    const apiCalls = at(servers, FAKE_API, '/orders')
    assert.equal(apiCalls.length, 2)
    assert.equal(claimsOf(apiCalls[0]!).nonce, undefined)
    assert.match(String(claimsOf(apiCalls[1]!).nonce), /^api-nonce-/)
    assertVerified(apiCalls[1]!)
    assert.equal((await client.fetch(`${FAKE_API}/orders`)).status, 200)
    assert.equal(at(servers, FAKE_API, '/orders').length, 3, 'the remembered API nonce works the first time')
    client.close()
  })

  test('a second use_dpop_nonce from the issuer is an error, not another retry', async () => {
    const servers = createFakeDpopServers()
    servers.knobs.issuerNonces = 'always'
    const { client, events } = openDpopClient(true, servers)
    const error = await client.signIn(CREDENTIALS).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'dpop_invalid')
    assert.equal(error.status, 400)
    assert.equal(error.retryable, false)
    assert.equal(at(servers, FAKE_ISSUER, '/v1/login').length, 2)
    assert.equal(client.accessToken, undefined)
    assert.deepEqual(events, [])
    client.close()
  })

  test("a second use_dpop_nonce from an API is the caller's answer, without a refresh", async () => {
    const { client, servers } = openDpopClient()
    await client.signIn(CREDENTIALS)
    servers.knobs.apiNonces = 'always'
    const response = await client.fetch(`${FAKE_API}/orders`)
    assert.equal(response.status, 401)
    assert.match(response.headers.get('www-authenticate') ?? '', /use_dpop_nonce/)
    assert.equal(at(servers, FAKE_API, '/orders').length, 2)
    assert.equal(at(servers, FAKE_ISSUER, '/v1/refresh').length, 0)
    client.close()
  })

  test('a Bearer token answered to a proof is refused as a downgrade, at sign-in and at refresh', async () => {
    const servers = createFakeDpopServers()
    servers.knobs.tokenType = 'Bearer'
    const { client, events } = openDpopClient(true, servers)
    const error = await client.signIn(CREDENTIALS).catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'dpop_downgraded')
    assert.equal(client.accessToken, undefined)
    assert.deepEqual(events, [])

    servers.knobs.tokenType = 'DPoP'
    await client.signIn(CREDENTIALS)
    const token = client.accessToken
    servers.knobs.tokenType = 'Bearer'
    const refreshError = await client.refresh().catch((e: unknown) => e)
    assert.ok(refreshError instanceof TesseraClientError)
    assert.equal(refreshError.reason, 'dpop_downgraded')
    assert.equal(client.accessToken, token, 'the bound token is kept, the unbound one never taken')
    client.close()
  })

  test('a refresh refused with dpop_invalid rejects and ends nothing', async () => {
    const { client, servers, events } = openDpopClient()
    await client.signIn(CREDENTIALS)
    const token = client.accessToken
    servers.knobs.refuseRefreshWithDpopInvalid = true
    const error = await client.refresh().catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'dpop_invalid')
    assert.equal(error.retryable, false)
    assert.equal(client.accessToken, token)
    assert.deepEqual(
      events.map((event) => event.type),
      ['signed-in'],
    )
    client.close()
  })

  test("a caller's own non-extractable key pair is the one that proves", async () => {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
    assert.ok('privateKey' in pair)
    const { client, servers } = openDpopClient({ keyPair: pair })
    await client.signIn(CREDENTIALS)
    await client.fetch(`${FAKE_API}/orders`)
    const exported = await crypto.subtle.exportKey('jwk', pair.publicKey)
    for (const request of servers.seen) {
      assertVerified(request)
      assert.deepEqual(headerOf(request).jwk, { kty: 'OKP', crv: 'Ed25519', x: exported.x })
      assert.equal(headerOf(request).alg, 'EdDSA')
    }
    client.close()
  })

  test('the escape hatch: a request with its own Authorization gets no token and no proof', async () => {
    const { client, servers } = openDpopClient()
    await client.signIn(CREDENTIALS)
    await client.fetch(`${FAKE_API}/orders`, { headers: { authorization: 'Basic b3duOmNyZWRz' } })
    const [call] = at(servers, FAKE_API, '/orders')
    assert.equal(call?.headers.get('authorization'), 'Basic b3duOmNyZWRz')
    assert.equal(call?.proof, undefined)
    client.close()
  })

  test('without dpop the client sends no proof and keeps accepting Bearer tokens', async () => {
    const servers = createFakeDpopServers()
    const { client } = openDpopClient(false, servers)
    await client.signIn(CREDENTIALS)
    await client.fetch(`${FAKE_API}/orders`)
    assert.deepEqual(
      servers.seen.map((request) => request.proof),
      [undefined, undefined],
    )
    assert.equal(
      at(servers, FAKE_API, '/orders')[0]?.headers.get('authorization'),
      `Bearer ${client.accessToken}`,
    )
    client.close()
  })

  test('options that cannot work throw a TypeError at creation', async () => {
    const create = (options: Record<string, unknown>) => () =>
      createClient({ issuer: FAKE_ISSUER, ...options } as unknown as Parameters<typeof createClient>[0])
    assert.throws(create({ mode: 'cookie', dpop: true }), { name: 'TypeError', message: /mode: 'token'/ })
    assert.throws(create({ mode: 'token', dpop: { alg: 'RS256' } }), {
      name: 'TypeError',
      message: /dpop\.alg/,
    })
    assert.throws(create({ mode: 'token', dpop: 'yes' }), TypeError)
    const extractable = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    assert.throws(create({ mode: 'token', dpop: { keyPair: extractable } }), {
      name: 'TypeError',
      message: /dpop\.keyPair\.privateKey must not be extractable/,
    })
  })

  test('after close() the prover has dropped its key and makes no proof', async () => {
    const prover = new DpopProver({ alg: 'ES256', keyPair: undefined })
    const url = `${FAKE_ISSUER}/v1/refresh`
    assert.match(await prover.prove({ method: 'POST', url }), /^[\w-]+\.[\w-]+\.[\w-]+$/)
    prover.close()
    await assert.rejects(prover.prove({ method: 'POST', url }), {
      name: 'TesseraClientError',
      message: /closed/,
    })
  })
})
