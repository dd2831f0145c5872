import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  assertInvalidClient,
  createTestClient,
  decodeClaims,
  postForm,
  type TestClient,
} from '../support/service-clients.ts'
import { call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

describe('POST /oauth/token, grant_type=refresh_token and the form body, over real HTTP', () => {
  let t: TestServer
  let service: TestClient
  before(async () => {
    t = await startTestServer({ env: { TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api' } })
    service = await createTestClient(t, 'orders:read orders:write tokens:introspect')
  })
  after(async () => {
    await t.close()
  })

  describe('refresh_token', () => {
    test('a first-party refresh token rotates without client authentication (public client)', async () => {
      const user = await signUp(t.url)
      const response = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
      })
      assert.equal(response.status, 200, response.text)
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.deepEqual(Object.keys(response.body).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
      ])
      assert.notEqual(response.body.refresh_token, user.refreshToken)
      assert.equal(decodeClaims(response.body.access_token as string).sid, user.sessionId)
      const withId = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: response.body.refresh_token as string,
        client_id: 'tessera',
      })
      assert.equal(withId.status, 200, withId.text)
    })

    test('same rules as /v1/refresh: grace replay, then reuse kills the session (invalid_grant, 400)', async () => {
      const user = await signUp(t.url)
      const first = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
      })
      t.clock.advance(5)
      const replay = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
      })
      assert.equal(
        replay.body.refresh_token,
        first.body.refresh_token,
        'same successor within the grace window',
      )
      t.clock.advance(6)
      const reused = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
      })
      assert.equal(reused.status, 400)
      assert.equal(reused.body.error, 'invalid_grant')
      assert.equal(reused.body.reason, 'refresh_token_reused')
      assert.equal(reused.headers.get('www-authenticate'), null)
      const newest = await call(t.url, '/v1/refresh', { body: { refresh_token: first.body.refresh_token } })
      assert.equal(newest.body.reason, 'session_revoked')
    })

    test('garbage and another client’s session are invalid_grant; a registered id without secret is invalid_client', async () => {
      const garbage = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: 'tsr_nope',
      })
      assert.equal(garbage.status, 400)
      assert.equal(garbage.body.error, 'invalid_grant')
      assert.equal(garbage.body.reason, 'invalid_refresh_token')

      const user = await signUp(t.url)
      const foreign = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: user.refreshToken },
        service.headers,
      )
      assert.equal(foreign.status, 400)
      assert.equal(foreign.body.reason, 'invalid_refresh_token', 'a tessera session is not the client’s')

      assertInvalidClient(
        await postForm(t.url, '/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: user.refreshToken,
          client_id: service.id,
        }),
      )
      const stillValid = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
      })
      assert.equal(stillValid.status, 200, 'refused attempts changed nothing')
    })

    test('scope may repeat the session’s scopes but not widen them', async () => {
      const user = await signUp(t.url)
      const widened = await postForm(t.url, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: user.refreshToken,
        scope: 'admin',
      })
      assert.equal(widened.status, 400)
      assert.equal(widened.body.error, 'invalid_scope')
    })
  })

  describe('request format', () => {
    test('an unknown grant_type is unsupported_grant_type; a missing one names the field', async () => {
      const unknown = await postForm(t.url, '/oauth/token', { grant_type: 'password' }, service.headers)
      assert.equal(unknown.status, 400)
      assert.equal(unknown.body.error, 'unsupported_grant_type')
      assert.equal(unknown.body.reason, 'invalid_request')
      const missing = await postForm(t.url, '/oauth/token', {}, service.headers)
      assert.equal(missing.status, 400)
      assert.equal(missing.body.field, 'grant_type')
    })

    test('JSON is refused with 415: RFC 6749 speaks form bodies', async () => {
      const response = await call(t.url, '/oauth/token', {
        body: { grant_type: 'client_credentials' },
        headers: service.headers,
      })
      assert.equal(response.status, 415)
      assert.equal(response.body.reason, 'invalid_request')
      assert.equal(response.body.field, 'content-type')
    })

    test('a repeated parameter is refused (RFC 6749 §3.1)', async () => {
      const response = await postForm(
        t.url,
        '/oauth/token',
        'grant_type=client_credentials&scope=orders:read&scope=orders:write',
        service.headers,
      )
      assert.equal(response.status, 400)
      assert.equal(response.body.reason, 'invalid_request')
      assert.equal(response.body.field, 'scope')
    })

    test('broken percent-encoding is invalid_request; unknown parameters are ignored (RFC 6749 §3.2)', async () => {
      const broken = await postForm(
        t.url,
        '/oauth/token',
        'grant_type=client_credentials&x=%E0%A4%A',
        service.headers,
      )
      assert.equal(broken.status, 400)
      assert.equal(broken.body.reason, 'invalid_request')
      const extra = await postForm(
        t.url,
        '/oauth/token',
        { grant_type: 'client_credentials', resource: 'https://orders.example.test' },
        service.headers,
      )
      assert.equal(extra.status, 200)
    })

    test('JSON stays the rule outside /oauth: a form body at /v1/login is 415', async () => {
      const response = await postForm(t.url, '/v1/login', { email: 'a@example.test', password: 'x' })
      assert.equal(response.status, 415)
    })
  })
})
