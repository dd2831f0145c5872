/**
 * Self-test of the test OpenID Provider: a real relying party (openid-client 6) runs the authorization code flow
 * against it, so Tessera's OIDC tests can trust what the fixture does — PKCE enforced, `iss` on the redirect,
 * email and email_verified inside the ID token.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  ClientSecretBasic,
  ClientSecretPost,
  type Configuration,
  calculatePKCECodeChallenge,
  discovery,
  ResponseBodyError,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from 'openid-client'
import { type OidcProviderFixture, startOidcProvider } from './oidc-provider-fixture.ts'

// Never contacted: the fixture stops at the redirect and does not follow it.
const redirectUri = 'http://127.0.0.1:9/oidc/callback'

interface Attempt {
  readonly url: string
  readonly verifier: string
  readonly state: string
  readonly nonce: string
}

async function newAttempt(config: Configuration, extra: Record<string, string> = {}): Promise<Attempt> {
  const verifier = randomPKCECodeVerifier()
  const state = randomState()
  const nonce = randomNonce()
  const url = buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  })
  return { url: url.href, verifier, state, nonce }
}

function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index]
  assert.ok(part !== undefined, 'not a compact JWS')
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('test OpenID Provider fixture', () => {
  let op: OidcProviderFixture
  let basic: Configuration
  let post: Configuration

  before(async () => {
    op = await startOidcProvider({ redirectUris: [redirectUri] })
    const issuer = new URL(op.issuer)
    const execute = [allowInsecureRequests]
    basic = await discovery(issuer, op.clientId, op.clientSecret, ClientSecretBasic(op.clientSecret), {
      execute,
    })
    post = await discovery(issuer, op.clientId, op.clientSecret, ClientSecretPost(op.clientSecret), {
      execute,
    })
  })

  after(async () => {
    await op.close()
  })

  it('listens on loopback http and advertises what Tessera relies on', () => {
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
    const metadata = basic.serverMetadata()
    assert.equal(metadata.issuer, op.issuer)
    assert.equal(metadata.authorization_response_iss_parameter_supported, true)
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'])
    assert.ok(metadata.id_token_signing_alg_values_supported?.includes('RS256'))
    assert.deepEqual(metadata.response_types_supported, ['code'])
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
    ])
  })

  it('runs the code flow: redirect carries code, state and iss; ID token carries email claims', async () => {
    const sub = op.addAccount({ email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace' })
    const attempt = await newAttempt(basic)

    const redirect = new URL(await op.authorize(attempt.url, sub))

    assert.equal(`${redirect.origin}${redirect.pathname}`, redirectUri)
    assert.equal(redirect.searchParams.get('iss'), op.issuer, 'RFC 9207 iss parameter')
    assert.equal(redirect.searchParams.get('state'), attempt.state)
    assert.ok(redirect.searchParams.get('code'))
    const tokens = await authorizationCodeGrant(basic, redirect, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    assert.ok(claims !== undefined)
    assert.equal(claims.iss, op.issuer)
    assert.equal(claims.aud, op.clientId)
    assert.equal(claims.sub, sub)
    assert.equal(claims.nonce, attempt.nonce)
    // Decoded from the raw ID token too, so the email claims are known to be in the token, not merged from userinfo.
    assert.ok(tokens.id_token !== undefined)
    assert.equal(decodeJwtPart(tokens.id_token, 0).alg, 'RS256')
    const payload = decodeJwtPart(tokens.id_token, 1)
    assert.equal(payload.email, 'ada@example.com')
    assert.equal(payload.email_verified, true)
    assert.equal(payload.name, 'Ada Lovelace')
  })

  it('reports email_verified false, omits an absent name, accepts client_secret_post and login by email', async () => {
    const sub = op.addAccount({ email: 'unverified@example.com', emailVerified: false })
    const attempt = await newAttempt(post)

    const redirect = new URL(await op.authorize(attempt.url, 'unverified@example.com'))
    const tokens = await authorizationCodeGrant(post, redirect, {
      pkceCodeVerifier: attempt.verifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    })

    assert.ok(tokens.id_token !== undefined)
    const payload = decodeJwtPart(tokens.id_token, 1)
    assert.equal(payload.sub, sub)
    assert.equal(payload.email, 'unverified@example.com')
    assert.equal(payload.email_verified, false)
    assert.equal('name' in payload, false)
  })

  it('returns the access_denied redirect when the user cancels', async () => {
    const sub = op.addAccount({ email: 'cancels@example.com', emailVerified: true })
    const attempt = await newAttempt(basic)

    const redirect = new URL(await op.authorize(attempt.url, sub, { deny: true }))

    assert.equal(`${redirect.origin}${redirect.pathname}`, redirectUri)
    assert.equal(redirect.searchParams.get('error'), 'access_denied')
    assert.equal(redirect.searchParams.get('state'), attempt.state)
    assert.equal(redirect.searchParams.get('iss'), op.issuer)
    assert.equal(redirect.searchParams.get('code'), null)
  })

  it('refuses a code exchange with the wrong code_verifier (invalid_grant)', async () => {
    const sub = op.addAccount({ email: 'pkce@example.com', emailVerified: true })
    const attempt = await newAttempt(basic)
    const redirect = new URL(await op.authorize(attempt.url, sub))

    await assert.rejects(
      authorizationCodeGrant(basic, redirect, {
        pkceCodeVerifier: randomPKCECodeVerifier(),
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
      }),
      (error: unknown) => error instanceof ResponseBodyError && error.error === 'invalid_grant',
    )
  })

  it('requires PKCE: a request without code_challenge comes back as invalid_request', async () => {
    const sub = op.addAccount({ email: 'nopkce@example.com', emailVerified: true })
    const state = randomState()
    const url = buildAuthorizationUrl(basic, {
      redirect_uri: redirectUri,
      scope: 'openid email',
      state,
      nonce: randomNonce(),
    })

    const redirect = new URL(await op.authorize(url.href, sub))

    assert.equal(redirect.searchParams.get('error'), 'invalid_request')
    assert.equal(redirect.searchParams.get('state'), state)
    assert.equal(redirect.searchParams.get('code'), null)
  })

  it('refuses an unknown login and an unregistered redirect_uri, saying why', async () => {
    const attempt = await newAttempt(basic)
    await assert.rejects(op.authorize(attempt.url, 'nobody@example.com'), /the login was refused/)

    const elsewhere = await newAttempt(basic, { redirect_uri: 'http://127.0.0.1:9/elsewhere' })
    await assert.rejects(op.authorize(elsewhere.url, 'ada@example.com'), /redirect_uri/)
  })
})
