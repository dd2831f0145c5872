import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  decodeBase64urlCanonical,
  encodeBase64url,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, GuardError } from '@tessera/guard'
import { AUDIENCE, bearer, send, tokenClaims } from './guard-fixtures.ts'
import { CLIENT, type LoopbackIssuer, startLoopbackIssuer } from './loopback-issuer.ts'

// The order of the P-256 group: s and n − s are both valid ECDSA signatures of the same message.
const p256Order = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')

/** A second, equally valid encoding of an ES256 token: its signature's s replaced by n − s. */
function malleate(token: string): string {
  const [header, payload, signature] = token.split('.')
  const bytes = decodeBase64urlCanonical(signature ?? '')
  assert.ok(header !== undefined && payload !== undefined && bytes !== undefined)
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`)
  const flipped = Buffer.from((p256Order - s).toString(16).padStart(64, '0'), 'hex')
  return `${header}.${payload}.${encodeBase64url(Buffer.concat([bytes.subarray(0, 32), flipped]))}`
}

/** `max_uses` tokens: consumed at the auth server, keyed on (iss, jti), atomically. */
describe('guard max_uses', () => {
  const key = generateSigningKey('ES256', 'k-es')
  let issuer: LoopbackIssuer
  let clock: ManualClock
  let guard: Guard
  let server: Server
  let url: string

  before(async () => {
    issuer = await startLoopbackIssuer()
    clock = createManualClock(Math.floor(Date.now() / 1000))
    guard = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      client: CLIENT,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
    })
    server = createServer(guard.node((_request, response) => response.end('ok'), { scope: 'orders:read' }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await guard.close()
    await issuer.close()
  })

  const mint = (overrides: Record<string, unknown>): string =>
    signAccessToken(tokenClaims(issuer.url, clock.nowSeconds(), overrides), key)

  test('20 concurrent requests with a max_uses 3 token: exactly 3 pass', async () => {
    const token = mint({ max_uses: 3 })
    const before = issuer.counts.tokenUses
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => send(url, '/orders', { headers: bearer(token) })),
    )
    const statuses = responses.map((response) => response.status)
    assert.equal(statuses.filter((status) => status === 200).length, 3)
    assert.equal(statuses.filter((status) => status === 401).length, 17)
    for (const response of responses.filter((r) => r.status === 401))
      assert.equal(response.body.reason, 'uses_exhausted')
    assert.equal(issuer.counts.tokenUses - before, 20)
  })

  test('the counter is keyed on (iss, jti), so a re-encoded ECDSA signature gets no fresh uses', async () => {
    const token = mint({ max_uses: 1 })
    const twin = malleate(token)
    assert.notEqual(twin, token)
    assert.equal((await guard.verifyToken(token)).max_uses, 1)
    const error = await guard.verifyToken(twin).catch((e: unknown) => e)
    // uses_exhausted comes last, after the signature: the twin is a valid token, refused only by the counter.
    assert.ok(error instanceof GuardError)
    assert.equal(error.reason, 'uses_exhausted')
  })

  test('a request refused for another reason spends no use', async () => {
    const token = mint({ max_uses: 1, scope: 'orders:write' })
    const before = issuer.counts.tokenUses
    const response = await send(url, '/orders', { headers: bearer(token) })
    assert.equal(response.body.reason, 'insufficient_scope')
    assert.equal(issuer.counts.tokenUses, before)
  })

  test('without a client a max_uses token is refused with uses_exhausted, saying why', async () => {
    const bare = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
    })
    const error = await bare.verifyToken(mint({ max_uses: 5 })).catch((e: unknown) => e)
    await bare.close()
    assert.ok(error instanceof GuardError)
    assert.equal(error.reason, 'uses_exhausted')
    assert.equal(error.status, 401)
    assert.match(error.message, /no client/)
  })

  test('an unreachable counter is 503 uses_exhausted: uses nobody counted are never handed out', async () => {
    const gone = await startLoopbackIssuer()
    await gone.close()
    const lonely = createGuard({
      issuer: gone.url,
      audience: AUDIENCE,
      client: CLIENT,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
      revocation: { failMode: 'open' },
      networkTimeoutMs: 500,
    })
    const error = await lonely
      .verifyToken(signAccessToken(tokenClaims(gone.url, clock.nowSeconds(), { max_uses: 5 }), key))
      .catch((e: unknown) => e)
    await lonely.close()
    assert.ok(error instanceof GuardError)
    assert.equal(error.reason, 'uses_exhausted')
    assert.equal(error.status, 503)
  })
})
