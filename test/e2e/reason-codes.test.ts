import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  type AccessTokenClaims,
  encodeBase64url,
  generateSigningKey,
  type SigningKey,
  signAccessToken,
  signJws,
} from '@tessera/core'
import {
  bearer,
  call,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

/** Every reason code the auth server of this slice can produce, each provoked over HTTP. */
describe('reason codes over HTTP', () => {
  let t: TestServer
  let user: Awaited<ReturnType<typeof signUp>>
  let key: SigningKey
  before(async () => {
    t = await startTestServer({ env: { TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3' } })
    user = await signUp(t.url)
    key = t.server.services.ring.signingKey
  })
  after(async () => {
    await t.close()
  })

  function claims(overrides: Partial<Record<keyof AccessTokenClaims, unknown>> = {}): AccessTokenClaims {
    const now = t.clock.nowSeconds()
    const base: Record<string, unknown> = {
      iss: 'http://localhost:8080',
      sub: user.userId,
      aud: 'http://localhost:8080',
      exp: now + 600,
      iat: now,
      jti: 'jti-1',
      client_id: 'tessera',
      sid: user.sessionId,
      scope: '',
      ...overrides,
    }
    for (const [name, value] of Object.entries(base)) if (value === undefined) delete base[name]
    return base as unknown as AccessTokenClaims
  }

  async function expectReason(token: string, reason: string, status = 401): Promise<void> {
    const response = await call(t.url, '/v1/me', { headers: bearer(token) })
    assert.equal(response.status, status, `${reason}: ${response.text}`)
    assert.equal(response.body.reason, reason)
    assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`error_description="${reason}"`))
  }

  test('missing_token: no error attribute in the challenge', async () => {
    const response = await call(t.url, '/v1/me')
    assert.equal(response.status, 401)
    assert.equal(response.body.reason, 'missing_token')
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="tessera"')
  })

  test('malformed, token_too_large, unsupported_alg, unknown_key, bad_signature, wrong_type', async () => {
    await expectReason('abc.def.ghi', 'malformed')
    const big = `${'a'.repeat(9000)}.b.c`
    await expectReason(big, 'token_too_large')
    const good = signAccessToken(claims(), key)
    const [, payload, signature] = good.split('.')
    const none = `${encodeBase64url(Buffer.from('{"alg":"none","typ":"at+jwt","kid":"x"}'))}.${payload}.`
    await expectReason(`${none}AA`, 'unsupported_alg')
    const hs = `${encodeBase64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })))}.${payload}.${signature}`
    await expectReason(hs, 'unsupported_alg')
    const stranger = generateSigningKey('EdDSA', 'key_not_in_the_ring')
    await expectReason(signAccessToken(claims(), stranger), 'unknown_key')
    const impostor = generateSigningKey('EdDSA', key.kid)
    await expectReason(signAccessToken(claims(), impostor), 'bad_signature')
    const jwtTyped = signJws({ typ: 'JWT' }, Buffer.from(JSON.stringify(claims())), key)
    await expectReason(jwtTyped, 'wrong_type')
  })

  test('wrong_issuer, wrong_audience, expired, not_yet_valid, lifetime_exceeded', async () => {
    const now = t.clock.nowSeconds()
    await expectReason(signAccessToken(claims({ iss: 'http://evil.example' }), key), 'wrong_issuer')
    await expectReason(signAccessToken(claims({ aud: 'another-api' }), key), 'wrong_audience')
    await expectReason(signAccessToken(claims({ iat: now - 1000, exp: now - 100 }), key), 'expired')
    await expectReason(signAccessToken(claims({ iat: now + 120, exp: now + 700 }), key), 'not_yet_valid')
    await expectReason(signAccessToken(claims({ iat: now, exp: now + 86_400 }), key), 'lifetime_exceeded')
    const hugeExp = `{"iss":"http://localhost:8080","sub":"${user.userId}","aud":"http://localhost:8080","exp":1e400,"iat":${now},"jti":"j","client_id":"tessera","sid":"${user.sessionId}"}`
    await expectReason(signJws({ typ: 'at+jwt' }, Buffer.from(hugeExp), key), 'malformed')
  })

  test('revoked (user not-before) and session_revoked', async () => {
    const victim = await signUp(t.url)
    const old = signAccessToken(
      claims({ sub: victim.userId, sid: victim.sessionId, iat: t.clock.nowSeconds() - 60 }),
      key,
    )
    await t.server.services.store.users.raiseNotBefore(victim.userId, t.clock.nowSeconds() - 30)
    await expectReason(old, 'revoked')
    const other = await signUp(t.url)
    await call(t.url, '/v1/logout', { body: { refresh_token: other.refreshToken } })
    await expectReason(other.accessToken, 'session_revoked')
  })

  test('insufficient_scope for a token without a user session', async () => {
    await expectReason(signAccessToken(claims({ sid: undefined }), key), 'insufficient_scope', 403)
  })

  test('invalid_refresh_token for garbage, forgeries and unknown tokens', async () => {
    for (const token of ['garbage', `tsr_${'A'.repeat(64)}`, `${user.refreshToken.slice(0, -2)}AA`]) {
      const response = await call(t.url, '/v1/refresh', { body: { refresh_token: token } })
      assert.equal(response.status, 401)
      assert.equal(response.body.reason, 'invalid_refresh_token')
    }
  })

  test('invalid_credentials and rate_limited (per account, whatever the IP)', async () => {
    const email = uniqueEmail('locked')
    await call(t.url, '/v1/signup', { body: { email, password: PASSWORD } })
    for (let i = 0; i < 3; i++) {
      const wrong = await call(t.url, '/v1/login', { body: { email, password: 'wrong password!' } })
      assert.equal(wrong.body.reason, 'invalid_credentials')
    }
    const limited = await call(t.url, '/v1/login', { body: { email, password: PASSWORD } })
    assert.equal(limited.status, 429)
    assert.equal(limited.body.reason, 'rate_limited')
    assert.ok(Number(limited.headers.get('retry-after')) >= 1)
    t.clock.advance(901)
    const later = await call(t.url, '/v1/login', { body: { email, password: PASSWORD } })
    assert.equal(later.status, 200, 'the lockout ends with its window')
  })

  test('invalid_request for a query-string token and a malformed Authorization header', async () => {
    const query = await call(t.url, `/v1/me?access_token=${user.accessToken}`)
    assert.equal(query.status, 400)
    assert.equal(query.body.reason, 'invalid_request')
    const basic = await call(t.url, '/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })
    assert.equal(basic.status, 400)
    assert.equal(basic.body.field, 'authorization')
  })
})
