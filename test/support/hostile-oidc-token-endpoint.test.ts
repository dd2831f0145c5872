// The hostile provider's front door must be honest in every case, or a negative test of Tessera could pass for
// the wrong reason: these tests drive the authorization request checks, client authentication, one-time codes
// and PKCE S256 over plain HTTP, without any client library.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { type HostileProvider, startHostileProvider } from './hostile-oidc-provider.ts'
import { decodeJws } from './hostile-oidc-tokens.ts'

const redirectUri = 'http://127.0.0.1:9/v1/oidc/hostile/callback'

/** A valid authorization request, optionally edited, and the verifier that goes with its challenge. */
function authorizationRequest(
  op: HostileProvider,
  edit: (params: URLSearchParams) => void = () => {},
): { url: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url')
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: op.clientId,
    redirect_uri: redirectUri,
    scope: 'openid email',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })
  edit(params)
  return { url: `${op.issuer}/authorize?${params}`, verifier }
}

function issueCode(op: HostileProvider): { code: string; verifier: string } {
  const { url, verifier } = authorizationRequest(op)
  const code = new URL(op.authorize(url)).searchParams.get('code')
  assert.ok(code)
  return { code, verifier }
}

async function redeem(
  op: HostileProvider,
  fields: Record<string, string>,
  options: { basic?: { id: string; secret: string } } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (options.basic !== undefined) {
    const { id, secret } = options.basic
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
  }
  const form = { grant_type: 'authorization_code', redirect_uri: redirectUri, ...fields }
  const response = await fetch(`${op.issuer}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  }
}

describe('hostile OIDC provider: honest front door', () => {
  let op: HostileProvider
  let post: (code: string, verifier: string | undefined) => Record<string, string>
  before(async () => {
    op = await startHostileProvider({ redirectUris: [redirectUri] })
    post = (code, verifier) => ({
      client_id: op.clientId,
      client_secret: op.clientSecret,
      code,
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
    })
  })
  after(() => op.close())

  it('publishes the discovery document and a public-only JWKS', async () => {
    const discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >
    assert.equal(discovery.issuer, op.issuer)
    assert.equal(discovery.token_endpoint, `${op.issuer}/token`)
    assert.equal(discovery.authorization_response_iss_parameter_supported, true)
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256'])
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256'])
    const jwks = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] }
    assert.equal(jwks.keys.length, 1)
    assert.deepEqual(Object.keys(jwks.keys[0] ?? {}).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
    assert.equal(jwks.keys[0]?.kid, 'k1')
  })

  it('redeems a code once with the right verifier; a replay is invalid_grant', async () => {
    op.setCase('honest')
    const { code, verifier } = issueCode(op)
    const first = await redeem(op, post(code, verifier))
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('cache-control'), 'no-store')
    assert.equal(decodeJws(first.body.id_token as string).header.alg, 'RS256')
    const replay = await redeem(op, post(code, verifier))
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    assert.equal(op.tokenRequests.at(-1)?.refusal, 'code already used')
  })

  it('refuses a wrong verifier (invalid_grant) and burns the code, even in a hostile case', async () => {
    op.setCase('alg_none')
    const { code, verifier } = issueCode(op)
    const wrong = await redeem(op, post(code, randomBytes(32).toString('base64url')))
    assert.equal(wrong.status, 400)
    assert.equal(wrong.body.error, 'invalid_grant')
    assert.equal(op.tokenRequests.at(-1)?.ok, false)
    assert.equal(op.tokenRequests.at(-1)?.refusal, 'code_verifier does not match code_challenge')
    const retry = await redeem(op, post(code, verifier))
    assert.equal(retry.status, 400)
    op.setCase('honest')
  })

  it('refuses a missing verifier and a different redirect_uri with invalid_grant', async () => {
    const missing = await redeem(op, post(issueCode(op).code, undefined))
    assert.equal(missing.status, 400)
    assert.equal(missing.body.error, 'invalid_grant')
    assert.equal(op.tokenRequests.at(-1)?.codeVerifier, undefined)
    const { code, verifier } = issueCode(op)
    const moved = await redeem(op, { ...post(code, verifier), redirect_uri: `${redirectUri}/other` })
    assert.equal(moved.status, 400)
    assert.equal(moved.body.error, 'invalid_grant')
  })

  it('authenticates the client: a wrong secret is 401 invalid_client and leaves the code usable', async () => {
    const { code, verifier } = issueCode(op)
    const fields = { code, code_verifier: verifier }
    const wrong = await redeem(op, fields, { basic: { id: op.clientId, secret: 'not-the-secret' } })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error, 'invalid_client')
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /)
    const both = await redeem(
      op,
      { ...post(code, verifier) },
      { basic: { id: op.clientId, secret: op.clientSecret } },
    )
    assert.equal(both.status, 400, 'two authentication methods at once')
    assert.equal(both.body.error, 'invalid_request')
    const right = await redeem(op, fields, { basic: { id: op.clientId, secret: op.clientSecret } })
    assert.equal(right.status, 200)
    assert.equal(op.tokenRequests.at(-1)?.clientAuthMethod, 'client_secret_basic')
  })

  const redirectedDefects: [string, (params: URLSearchParams) => void, string][] = [
    ['no code_challenge', (p) => p.delete('code_challenge'), 'missing code_challenge (PKCE)'],
    ['plain PKCE', (p) => p.set('code_challenge_method', 'plain'), 'code_challenge_method must be S256'],
    [
      'no code_challenge_method',
      (p) => p.delete('code_challenge_method'),
      'code_challenge_method must be S256',
    ],
    ['no nonce', (p) => p.delete('nonce'), 'missing nonce'],
    ['no state', (p) => p.delete('state'), 'missing state'],
    ['response_type token', (p) => p.set('response_type', 'token'), 'response_type must be code'],
    ['no openid scope', (p) => p.set('scope', 'email'), 'scope must include openid'],
    ['a repeated nonce', (p) => p.append('nonce', 'again'), 'repeated parameter nonce'],
  ]
  for (const [name, edit, reason] of redirectedDefects) {
    it(`refuses an authorization request with ${name}: invalid_request redirect, reason recorded`, () => {
      const before = op.refusedAuthorizations.length
      const redirect = new URL(op.authorize(authorizationRequest(op, edit).url))
      assert.equal(`${redirect.origin}${redirect.pathname}`, redirectUri)
      assert.equal(redirect.searchParams.get('error'), 'invalid_request')
      assert.equal(redirect.searchParams.get('code'), null)
      assert.equal(redirect.searchParams.get('iss'), op.issuer)
      assert.deepEqual(op.refusedAuthorizations.slice(before), [reason])
    })
  }

  const thrownDefects: [string, (params: URLSearchParams) => void, string][] = [
    [
      'an unregistered redirect_uri',
      (p) => p.set('redirect_uri', 'https://attacker.example/cb'),
      'unregistered',
    ],
    ['another client_id', (p) => p.set('client_id', 'someone-else'), 'unknown or missing client_id'],
  ]
  for (const [name, edit, reason] of thrownDefects) {
    it(`throws rather than redirect for ${name} (RFC 6749 §4.1.2.1)`, () => {
      assert.throws(() => op.authorize(authorizationRequest(op, edit).url), new RegExp(reason))
      assert.match(op.refusedAuthorizations.at(-1) ?? '', new RegExp(reason))
    })
  }

  it('serves the same checks to a browser at GET /authorize', async () => {
    const good = await fetch(authorizationRequest(op).url, { redirect: 'manual' })
    assert.equal(good.status, 302)
    assert.ok(new URL(good.headers.get('location') ?? '').searchParams.get('code'))
    const foreign = authorizationRequest(op, (p) => p.set('redirect_uri', 'https://attacker.example/cb'))
    const bad = await fetch(foreign.url, { redirect: 'manual' })
    assert.equal(bad.status, 400)
    assert.equal(bad.headers.get('location'), null)
  })
})
