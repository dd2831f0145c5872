import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createTestClient, postForm, type TestClient } from '../support/service-clients.ts'
import { bearer, call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

describe('POST /oauth/introspect and /oauth/revoke over real HTTP', () => {
  let t: TestServer
  let introspector: TestClient
  let admin: TestClient
  let service: TestClient

  before(async () => {
    t = await startTestServer()
    introspector = await createTestClient(t, 'tokens:introspect')
    admin = await createTestClient(t, 'sessions:revoke tokens:introspect')
    service = await createTestClient(t, 'orders:read')
  })
  after(async () => {
    await t.close()
  })

  async function introspect(token: string, client = introspector): Promise<Record<string, unknown>> {
    const response = await postForm(t.url, '/oauth/introspect', { token }, client.headers)
    assert.equal(response.status, 200, response.text)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    return response.body
  }

  async function clientToken(client: TestClient): Promise<string> {
    const response = await postForm(
      t.url,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      client.headers,
    )
    return response.body.access_token as string
  }

  describe('introspection (RFC 7662)', () => {
    test('an active user access token: every claim, after checking the session', async () => {
      const user = await signUp(t.url)
      const answer = await introspect(user.accessToken)
      assert.equal(answer.active, true)
      assert.equal(answer.token_type, 'Bearer')
      assert.equal(answer.sub, user.userId)
      assert.equal(answer.sid, user.sessionId)
      assert.equal(answer.client_id, 'tessera')
      assert.equal(answer.iss, 'http://localhost:8080')
      assert.equal(answer.aud, 'http://localhost:8080')
      assert.equal(typeof answer.jti, 'string')
      assert.ok((answer.exp as number) > (answer.iat as number))
    })

    test('an active refresh token while it is its session’s live one', async () => {
      const user = await signUp(t.url)
      const answer = await introspect(user.refreshToken)
      assert.equal(answer.active, true)
      assert.equal(answer.token_type, 'refresh_token')
      assert.equal(answer.sub, user.userId)
      assert.equal(answer.sid, user.sessionId)
      assert.equal(answer.client_id, 'tessera')
      const rotated = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
      assert.deepEqual(
        await introspect(user.refreshToken),
        { active: false },
        'a rotated token is no longer live',
      )
      assert.equal((await introspect(rotated.body.refresh_token as string)).active, true)
    })

    test('a client-credentials token is active and carries no sid', async () => {
      const answer = await introspect(await clientToken(service))
      assert.equal(answer.active, true)
      assert.equal(answer.sub, service.id)
      assert.equal(answer.client_id, service.id)
      assert.equal(answer.sid, undefined)
      assert.equal(answer.scope, 'orders:read')
    })

    test('every inactive or invalid token is exactly {"active":false}', async () => {
      const loggedOut = await signUp(t.url)
      const logout = await call(t.url, '/v1/logout', {
        method: 'POST',
        headers: bearer(loggedOut.accessToken),
      })
      assert.equal(logout.status, 204)
      const expiring = await signUp(t.url)
      const [header, payload] = expiring.accessToken.split('.')
      const cases = [
        'garbage',
        'tsr_AAAA',
        `tsr_${'A'.repeat(64)}`,
        `${header}.${payload}.${'A'.repeat(86)}`,
        loggedOut.accessToken,
        loggedOut.refreshToken,
        'x'.repeat(9000),
      ]
      for (const token of cases) {
        const response = await postForm(t.url, '/oauth/introspect', { token }, introspector.headers)
        assert.equal(response.status, 200)
        assert.equal(response.text, '{"active":false}', `for ${token.slice(0, 12)}…`)
      }
      t.clock.advance(3600)
      assert.deepEqual(await introspect(expiring.accessToken), { active: false }, 'expired')
    })

    test('a user’s not-before makes older tokens inactive', async () => {
      const user = await signUp(t.url)
      await t.server.services.store.users.raiseNotBefore(user.userId, t.clock.nowSeconds() + 1)
      assert.deepEqual(await introspect(user.accessToken), { active: false })
      assert.deepEqual(await introspect(user.refreshToken), { active: false })
    })

    test('needs client authentication and the tokens:introspect scope', async () => {
      const user = await signUp(t.url)
      const anonymous = await postForm(t.url, '/oauth/introspect', { token: user.accessToken })
      assert.equal(anonymous.status, 401)
      assert.equal(anonymous.body.error, 'invalid_client')
      assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"')
      const unentitled = await postForm(
        t.url,
        '/oauth/introspect',
        { token: user.accessToken },
        service.headers,
      )
      assert.equal(unentitled.status, 403)
      assert.equal(unentitled.body.reason, 'insufficient_scope')
      assert.equal(unentitled.headers.get('www-authenticate'), null)
      const viaPost = await postForm(t.url, '/oauth/introspect', {
        token: user.accessToken,
        client_id: introspector.id,
        client_secret: introspector.secret,
      })
      assert.equal(viaPost.body.active, true)
      const noToken = await postForm(t.url, '/oauth/introspect', {}, introspector.headers)
      assert.equal(noToken.status, 400)
      assert.equal(noToken.body.field, 'token')
    })
  })

  describe('revocation (RFC 7009)', () => {
    test('revoking a refresh token ends its session: refresh fails, the access token goes inactive', async () => {
      const user = await signUp(t.url)
      const response = await postForm(
        t.url,
        '/oauth/revoke',
        { token: user.refreshToken, token_type_hint: 'refresh_token' },
        admin.headers,
      )
      assert.equal(response.status, 200)
      assert.equal(response.text, '')
      const refresh = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
      assert.equal(refresh.body.reason, 'session_revoked')
      assert.deepEqual(await introspect(user.accessToken), { active: false })
      const me = await call(t.url, '/v1/me', { headers: bearer(user.accessToken) })
      assert.equal(me.body.reason, 'session_revoked')
    })

    test('revoking an access token ends its session too', async () => {
      const user = await signUp(t.url)
      const response = await postForm(t.url, '/oauth/revoke', { token: user.accessToken }, admin.headers)
      assert.equal(response.status, 200)
      assert.deepEqual(await introspect(user.refreshToken), { active: false })
    })

    test('unknown, invalid and already revoked tokens: always 200', async () => {
      const user = await signUp(t.url)
      await postForm(t.url, '/oauth/revoke', { token: user.refreshToken }, admin.headers)
      for (const token of ['garbage', `tsr_${'A'.repeat(64)}`, user.refreshToken, user.accessToken]) {
        const response = await postForm(t.url, '/oauth/revoke', { token }, service.headers)
        assert.equal(response.status, 200, `for ${token.slice(0, 12)}…`)
      }
    })

    test('first-party tokens need sessions:revoke; another client’s token is refused', async () => {
      const user = await signUp(t.url)
      const refused = await postForm(t.url, '/oauth/revoke', { token: user.refreshToken }, service.headers)
      assert.equal(refused.status, 403)
      assert.equal(refused.body.reason, 'insufficient_scope')
      assert.equal((await introspect(user.refreshToken)).active, true, 'nothing was revoked')

      const foreign = await postForm(
        t.url,
        '/oauth/revoke',
        { token: await clientToken(service) },
        admin.headers,
      )
      assert.equal(foreign.status, 403)
      assert.equal(foreign.body.reason, 'insufficient_scope')
    })

    test('a client’s own session-less token is unsupported_token_type (it expires on its own)', async () => {
      const response = await postForm(
        t.url,
        '/oauth/revoke',
        { token: await clientToken(service) },
        service.headers,
      )
      assert.equal(response.status, 400)
      assert.equal(response.body.error, 'unsupported_token_type')
      assert.equal(response.body.reason, 'invalid_request')
    })

    test('needs client authentication and a token parameter', async () => {
      const user = await signUp(t.url)
      const anonymous = await postForm(t.url, '/oauth/revoke', { token: user.refreshToken })
      assert.equal(anonymous.status, 401)
      assert.equal(anonymous.body.error, 'invalid_client')
      assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"')
      const missing = await postForm(t.url, '/oauth/revoke', {}, admin.headers)
      assert.equal(missing.status, 400)
      assert.equal(missing.body.field, 'token')
      assert.equal((await introspect(user.refreshToken)).active, true)
    })
  })
})
