// Clients that no one here wrote must accept Tessera: openid-client (panva, on oauth4webapi) discovers the
// RFC 8414 metadata and runs client_credentials, introspection and revocation against a real server.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, test } from 'node:test'
import * as oidc from 'openid-client'
import { createTestClient, type TestClient, wrongSecret } from '../support/service-clients.ts'
import { call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

/** A free loopback port, so the issuer URL can be the server's real address (RFC 8414 §3.3 compares them). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

describe('openid-client against Tessera', () => {
  let t: TestServer
  let issuer: string
  let service: TestClient
  let config: oidc.Configuration

  before(async () => {
    const port = await freePort()
    issuer = `http://127.0.0.1:${port}`
    t = await startTestServer({ env: { TESSERA_PORT: String(port), TESSERA_ISSUER: issuer } })
    service = await createTestClient(t, 'orders:read orders:write tokens:introspect sessions:revoke')
    config = await oidc.discovery(
      new URL(issuer),
      service.id,
      undefined,
      oidc.ClientSecretBasic(service.secret),
      {
        algorithm: 'oauth2',
        // Plain http is acceptable only because the server is on loopback inside this test.
        execute: [oidc.allowInsecureRequests],
      },
    )
  })
  after(async () => {
    await t?.close()
  })

  test('discovers the RFC 8414 metadata', () => {
    const metadata = config.serverMetadata()
    assert.equal(metadata.issuer, issuer)
    assert.equal(metadata.token_endpoint, `${issuer}/oauth/token`)
    assert.equal(metadata.revocation_endpoint, `${issuer}/oauth/revoke`)
    assert.equal(metadata.introspection_endpoint, `${issuer}/oauth/introspect`)
    assert.equal(metadata.jwks_uri, `${issuer}/.well-known/jwks.json`)
    assert.deepEqual(metadata.grant_types_supported, ['refresh_token', 'client_credentials'])
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
    ])
    assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
    ])
    assert.ok(metadata.scopes_supported?.includes('tokens:introspect'))
  })

  test('/openapi.json lists the client endpoints too', async () => {
    const document = await call(t.url, '/openapi.json')
    const paths = document.body.paths as Record<string, Record<string, unknown>>
    for (const [path, method] of [
      ['/oauth/token', 'post'],
      ['/oauth/revoke', 'post'],
      ['/oauth/introspect', 'post'],
      ['/v1/tokens', 'post'],
      ['/v1/token-uses', 'post'],
      ['/v1/revocations', 'get'],
    ] as const) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`)
    }
  })

  test('client_credentials, then introspection of the token it got', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' })
    assert.equal(tokens.token_type, 'bearer')
    assert.equal(tokens.scope, 'orders:read')
    assert.ok((tokens.expiresIn() ?? 0) > 800)
    const answer = await oidc.tokenIntrospection(config, tokens.access_token)
    assert.equal(answer.active, true)
    assert.equal(answer.sub, service.id)
    assert.equal(answer.client_id, service.id)
    assert.equal(answer.scope, 'orders:read')
    const inactive = await oidc.tokenIntrospection(config, 'not-a-token')
    assert.deepEqual({ ...inactive }, { active: false })
  })

  test('revocation of a user’s refresh token ends the session', async () => {
    const user = await signUp(t.url)
    assert.equal((await oidc.tokenIntrospection(config, user.refreshToken)).active, true)
    await oidc.tokenRevocation(config, user.refreshToken, { token_type_hint: 'refresh_token' })
    assert.equal((await oidc.tokenIntrospection(config, user.accessToken)).active, false)
    const refresh = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(refresh.body.reason, 'session_revoked')
    await oidc.tokenRevocation(config, 'unknown-token')
  })

  test('refresh_token grant as a public first-party client', async () => {
    const user = await signUp(t.url)
    const publicConfig = await oidc.discovery(new URL(issuer), 'tessera', undefined, oidc.None(), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    })
    const refreshed = await oidc.refreshTokenGrant(publicConfig, user.refreshToken)
    assert.equal(typeof refreshed.access_token, 'string')
    assert.notEqual(refreshed.refresh_token, user.refreshToken)
  })

  test('a wrong secret is refused with 401 and a Basic challenge', async () => {
    const wrong = await oidc.discovery(
      new URL(issuer),
      service.id,
      undefined,
      oidc.ClientSecretPost(wrongSecret(service.secret)),
      { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
    )
    await assert.rejects(oidc.clientCredentialsGrant(wrong), (error: unknown) => {
      assert.ok(error instanceof oidc.WWWAuthenticateChallengeError)
      assert.equal(error.status, 401)
      assert.deepEqual(
        error.cause.map((challenge) => [challenge.scheme, challenge.parameters.realm]),
        [['basic', 'tessera']],
      )
      return true
    })
  })
})
