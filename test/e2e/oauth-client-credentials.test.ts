import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  assertInvalidClient,
  basicAuth,
  createTestClient,
  decodeClaims,
  postForm,
  type TestClient,
  wrongSecret,
} from '../support/service-clients.ts'
import { bearer, call, startTestServer, type TestServer } from '../support/test-server.ts'

describe('POST /oauth/token, grant_type=client_credentials, over real HTTP', () => {
  let t: TestServer
  let service: TestClient
  before(async () => {
    t = await startTestServer({ env: { TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api' } })
    service = await createTestClient(t, 'orders:read orders:write tokens:introspect')
  })
  after(async () => {
    await t.close()
  })

  describe('client_credentials', () => {
    test('HTTP Basic: a token for the client itself, without sid or refresh token', async () => {
      const response = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        service.headers,
      )
      assert.equal(response.status, 200, response.text)
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.equal(response.headers.get('pragma'), 'no-cache')
      assert.equal(response.body.token_type, 'Bearer')
      assert.equal(response.body.refresh_token, undefined)
      // Meta scopes never enter an access token; the client's other scopes are the default grant.
      assert.equal(response.body.scope, 'orders:read orders:write')
      const claims = decodeClaims(response.body.access_token as string)
      assert.equal(claims.sub, service.id)
      assert.equal(claims.client_id, service.id)
      assert.match(claims.sub as string, /^cli_/, 'sub never collides with a usr_ id (RFC 9700 §4.15)')
      assert.equal(claims.sid, undefined)
      assert.deepEqual(claims.aud, ['http://localhost:8080', 'orders-api'])
      assert.equal(claims.scope, 'orders:read orders:write')
      const expiresIn = response.body.expires_in as number
      assert.ok(expiresIn <= 900 && expiresIn >= 855)
    })

    test('client_secret_post and a narrower scope', async () => {
      const response = await postForm(t.url, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: service.id,
        client_secret: service.secret,
        scope: 'orders:read',
      })
      assert.equal(response.status, 200, response.text)
      assert.equal(response.body.scope, 'orders:read')
      assert.equal(decodeClaims(response.body.access_token as string).scope, 'orders:read')
    })

    test('a client-credentials token cannot call the user API', async () => {
      const issued = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        service.headers,
      )
      const me = await call(t.url, '/v1/me', { headers: bearer(issued.body.access_token as string) })
      assert.equal(me.status, 403)
      assert.equal(me.body.reason, 'insufficient_scope')
    })

    test('a scope the client does not hold, or a meta scope, is invalid_scope', async () => {
      for (const scope of ['orders:delete', 'orders:read tokens:introspect']) {
        const response = await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'client_credentials', scope },
          service.headers,
        )
        assert.equal(response.status, 400)
        assert.equal(response.body.error, 'invalid_scope')
        assert.equal(response.body.reason, 'insufficient_scope')
        assert.equal(response.body.field, 'scope')
      }
      const malformed = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'orders:read  orders:write' },
        service.headers,
      )
      assert.equal(malformed.status, 400)
      assert.equal(malformed.body.error, 'invalid_scope')
      assert.equal(malformed.body.reason, 'invalid_request')
    })

    test('no, wrong, or unknown client credentials: 401 invalid_client with a Basic challenge', async () => {
      assertInvalidClient(await postForm(t.url, '/oauth/token', { grant_type: 'client_credentials' }))
      assertInvalidClient(
        await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: basicAuth(service.id, wrongSecret(service.secret)) },
        ),
      )
      assertInvalidClient(
        await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: basicAuth('cli_AAAAAAAAAAAAAAAAAAAAAA', service.secret) },
        ),
      )
      assertInvalidClient(
        await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: 'Bearer abc' },
        ),
      )
      assertInvalidClient(
        await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: 'Basic !!!' },
        ),
      )
    })

    test('two authentication methods at once are invalid_request', async () => {
      const response = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'client_credentials', client_id: service.id, client_secret: service.secret },
        service.headers,
      )
      assert.equal(response.status, 400)
      assert.equal(response.body.error, 'invalid_request')
      assert.equal(response.body.reason, 'invalid_request')
    })
  })

  test('failed client authentication is throttled per client id: 429 with Retry-After', async () => {
    const limited = await startTestServer({
      env: {
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3',
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_WINDOW_SECONDS: '60',
      },
    })
    try {
      const client = await createTestClient(limited, 'orders:read')
      const wrong = { authorization: basicAuth(client.id, wrongSecret(client.secret)) }
      for (let i = 0; i < 3; i++) {
        assertInvalidClient(
          await postForm(limited.url, '/oauth/token', { grant_type: 'client_credentials' }, wrong),
        )
      }
      const throttled = await postForm(
        limited.url,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        client.headers,
      )
      assert.equal(throttled.status, 429)
      assert.equal(throttled.body.reason, 'rate_limited')
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1)
      limited.clock.advance(61)
      const recovered = await postForm(
        limited.url,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        client.headers,
      )
      assert.equal(recovered.status, 200)
    } finally {
      await limited.close()
    }
  })
})
