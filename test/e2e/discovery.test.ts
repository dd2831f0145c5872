import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { importVerificationJwk } from '@tessera/core'
import { call, startTestServer, type TestServer } from '../support/test-server.ts'

describe('metadata, JWKS, OpenAPI and health', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    await t.close()
  })

  test('RFC 8414 metadata names the issuer and the JWKS', async () => {
    const response = await call(t.url, '/.well-known/oauth-authorization-server')
    assert.equal(response.status, 200)
    assert.equal(response.body.issuer, 'http://localhost:8080')
    assert.equal(response.body.jwks_uri, 'http://localhost:8080/.well-known/jwks.json')
    assert.match(response.headers.get('cache-control') ?? '', /^public, max-age=\d+$/)
  })

  test('the JWKS holds the current and next keys, public members only, each importable', async () => {
    const response = await call(t.url, '/.well-known/jwks.json')
    const keys = response.body.keys as Record<string, unknown>[]
    assert.equal(keys.length, 2)
    for (const jwk of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        assert.equal(jwk[member], undefined, `no ${member}`)
      const key = importVerificationJwk(jwk)
      assert.equal(key.alg, 'EdDSA')
      assert.equal(key.kid, jwk.kid)
    }
    assert.ok(keys.some((k) => k.kid === t.server.services.ring.signingKey.kid))
  })

  test('/openapi.json describes every first-party endpoint with its request schema', async () => {
    const response = await call(t.url, '/openapi.json')
    assert.equal(response.status, 200)
    assert.equal(response.body.openapi, '3.1.0')
    const paths = response.body.paths as Record<string, Record<string, { requestBody?: unknown }>>
    for (const [path, method] of [
      ['/v1/signup', 'post'],
      ['/v1/login', 'post'],
      ['/v1/refresh', 'post'],
      ['/v1/logout', 'post'],
      ['/v1/me', 'get'],
      ['/v1/sessions', 'get'],
      ['/v1/sessions', 'delete'],
      ['/v1/sessions/{id}', 'delete'],
      ['/v1/password', 'post'],
    ] as const) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`)
    }
    assert.ok(paths['/v1/signup']?.post?.requestBody)
  })

  test('health and readiness; security headers on every response', async () => {
    const health = await call(t.url, '/healthz')
    assert.equal(health.status, 200)
    const ready = await call(t.url, '/readyz')
    assert.deepEqual(ready.body, { status: 'ready', store: 'sqlite', database: 'ok' })
    assert.equal(ready.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(ready.headers.get('x-frame-options'), 'DENY')
    assert.equal(ready.headers.get('referrer-policy'), 'no-referrer')
    assert.match(ready.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    assert.equal(ready.headers.get('cache-control'), 'no-store')
  })
})
