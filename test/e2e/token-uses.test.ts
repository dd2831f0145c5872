import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createTestClient, type TestClient } from '../support/service-clients.ts'
import { call, startTestServer, type TestServer } from '../support/test-server.ts'

describe('POST /v1/token-uses (max_uses counters) over real HTTP', () => {
  let t: TestServer
  let guard: TestClient
  before(async () => {
    t = await startTestServer()
    guard = await createTestClient(t, 'tokens:consume revocations:read')
  })
  after(async () => {
    await t.close()
  })

  const use = (jti: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: 'http://localhost:8080',
    jti,
    exp: t.clock.nowSeconds() + 600,
    max_uses: 3,
    ...extra,
  })

  test('20 concurrent uses of a max_uses 3 token: exactly 3 allowed', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(t.url, '/v1/token-uses', { body: use('raced'), headers: guard.headers }),
      ),
    )
    assert.ok(responses.every((response) => response.status === 200))
    const allowed = responses.filter((response) => response.body.allowed === true)
    assert.equal(allowed.length, 3)
    assert.deepEqual(allowed.map((response) => response.body.remaining).sort(), [0, 1, 2])
    assert.ok(
      responses
        .filter((response) => response.body.allowed === false)
        .every((response) => response.body.remaining === 0),
    )
  })

  test('an expired token has no uses; a foreign issuer or a far-future exp is refused', async () => {
    const expired = await call(t.url, '/v1/token-uses', {
      body: use('old', { exp: t.clock.nowSeconds() - 10 }),
      headers: guard.headers,
    })
    assert.deepEqual(expired.body, { allowed: false, remaining: 0 })
    const foreign = await call(t.url, '/v1/token-uses', {
      body: use('x', { iss: 'https://elsewhere.test' }),
      headers: guard.headers,
    })
    assert.equal(foreign.status, 400)
    assert.equal(foreign.body.field, 'iss')
    const forever = await call(t.url, '/v1/token-uses', {
      body: use('x', { exp: t.clock.nowSeconds() + 86_400 }),
      headers: guard.headers,
    })
    assert.equal(forever.status, 400)
    assert.equal(forever.body.field, 'exp')
    const bad = await call(t.url, '/v1/token-uses', {
      body: use('x', { max_uses: 0 }),
      headers: guard.headers,
    })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.field, 'max_uses')
  })

  test('needs HTTP Basic and the tokens:consume scope', async () => {
    const anonymous = await call(t.url, '/v1/token-uses', { body: use('y') })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.error, 'invalid_client')
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"')
    const reader = await createTestClient(t, 'revocations:read')
    const unentitled = await call(t.url, '/v1/token-uses', { body: use('y'), headers: reader.headers })
    assert.equal(unentitled.status, 403)
    assert.equal(unentitled.body.reason, 'insufficient_scope')
    const first = await call(t.url, '/v1/token-uses', { body: use('y'), headers: guard.headers })
    assert.deepEqual(first.body, { allowed: true, remaining: 2 }, 'refused calls counted nothing')
  })
})
