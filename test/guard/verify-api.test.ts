import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { createManualClock, exportPublicJwk, generateSigningKey, signAccessToken } from '@tessera/core'
import { createGuard, type Guard, GuardError, readAuth } from '@tessera/guard'
import { AUDIENCE, bearer, fingerprintHash, send, tokenClaims } from './guard-fixtures.ts'

/** The framework-free API: `verifyToken`, `verify(request)`, `rejection`, `readAuth`, handler faults. */
describe('guard without a framework', () => {
  const issuer = 'http://localhost:8080'
  const key = generateSigningKey('EdDSA', 'k-1')
  const clock = createManualClock(Math.floor(Date.now() / 1000))
  let guard: Guard
  before(() => {
    guard = createGuard({ issuer, audience: AUDIENCE, clock, jwks: { keys: [exportPublicJwk(key)] } })
  })
  after(() => guard.close())

  const mint = (overrides: Record<string, unknown> = {}): string =>
    signAccessToken(tokenClaims(issuer, clock.nowSeconds(), overrides), key)

  async function reasonOf(promise: Promise<unknown>): Promise<string> {
    const outcome = await promise.then(
      () => 'accepted',
      (error: unknown) => error,
    )
    if (outcome === 'accepted') return outcome
    assert.ok(outcome instanceof GuardError)
    return outcome.reason
  }

  test('verifyToken resolves the claims, applying route options', async () => {
    const token = mint({ scope: 'orders:read' })
    assert.equal((await guard.verifyToken(token)).sub, 'usr_alice')
    assert.equal(await reasonOf(guard.verifyToken(token, { scope: 'orders:write' })), 'insufficient_scope')
    assert.equal(await reasonOf(guard.verifyToken(token, { audience: 'billing-api' })), 'wrong_audience')
    assert.equal(await reasonOf(guard.verifyToken('not a token')), 'malformed')
  })

  test('verifyToken takes the path and fingerprint for bound tokens, failing closed without them', async () => {
    const pathBound = mint({ path: '/exports/1' })
    assert.equal(await reasonOf(guard.verifyToken(pathBound)), 'wrong_path')
    assert.equal(await reasonOf(guard.verifyToken(pathBound, { path: '/exports/1' })), 'accepted')
    const cookieBound = mint({ fph: fingerprintHash('fgp') })
    assert.equal(await reasonOf(guard.verifyToken(cookieBound)), 'fingerprint_mismatch')
    assert.equal(await reasonOf(guard.verifyToken(cookieBound, { fingerprint: 'fgp' })), 'accepted')
  })

  test('verify(request) for a plain node server, rendering refusals with guard.rejection', async () => {
    const server = createServer((request, response) => {
      guard.verify(request, { scope: 'orders:read' }).then(
        (auth) => response.end(auth.subject),
        (error: unknown) => {
          assert.ok(error instanceof GuardError)
          const { status, headers, body } = guard.rejection(error)
          response.writeHead(status, headers).end(JSON.stringify(body))
        },
      )
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      assert.equal((await send(url, '/x', { headers: bearer(mint()) })).body.unparsed, 'usr_alice')
      const refused = await send(url, '/x', { headers: bearer(mint({ scope: 'openid' })) })
      assert.equal(refused.status, 403)
      assert.equal(refused.body.reason, 'insufficient_scope')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  test('a handler fault is a bare 500; readAuth refuses a request the guard never saw', async () => {
    const server = createServer(
      guard.node(() => {
        throw new Error('secret detail')
      }),
    )
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const response = await send(url, '/', { headers: bearer(mint()) })
      assert.equal(response.status, 500)
      assert.doesNotMatch(JSON.stringify(response.body), /secret detail/)
    } finally {
      server.closeAllConnections()
      server.close()
    }
    assert.throws(() => readAuth({}), /No Tessera guard ran/)
    assert.throws(() => readAuth({ auth: { subject: 'forged' } }), /No Tessera guard ran/)
  })
})
