/**
 * DPoP at the auth server (RFC 9449 §5, §7, §8): proofs at /v1/login, /v1/signup, /v1/refresh and
 * /oauth/token bind the session and its tokens to the client's key; a bound session refreshes and logs out
 * only with that key, and refusals change nothing; bound access tokens need a proof at /v1/me; nonces when
 * configured; the replay register on Redis shared by two instances.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRedisConnection } from '@tessera/redis'
import type { Redis } from 'ioredis'
import { openRedisTestScope, type RedisTestScope } from '../../packages/redis/src/redis-test-scope.ts'
import { createDpopKeyHolder, type DpopKeyHolder } from '../support/dpop-key-holder.ts'
import { createTestClient, decodeClaims, postForm } from '../support/service-clients.ts'
import { requireRedis } from '../support/services.ts'
import {
  bearer,
  call,
  type JsonResponse,
  PASSWORD,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

const ISSUER = 'http://localhost:8080'
const redisUrl = await requireRedis()

interface Signed {
  readonly accessToken: string
  readonly refreshToken: string
  readonly sessionId: string
}

function tokensOf(response: JsonResponse): Signed {
  const body = response.body as { access_token: string; refresh_token: string; session_id: string }
  return { accessToken: body.access_token, refreshToken: body.refresh_token, sessionId: body.session_id }
}

function assertProblem(response: JsonResponse, status: number, error: string, reason: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.body.error, error)
  assert.equal(response.body.reason, reason)
}

describe('DPoP at the auth server', () => {
  let t: TestServer
  let holder: DpopKeyHolder
  const now = (): number => t.clock.nowSeconds()
  const proofFor = (
    path: string,
    options: { method?: string; accessToken?: string; key?: DpopKeyHolder } = {},
  ) =>
    (options.key ?? holder).proof({
      method: options.method ?? 'POST',
      url: `${ISSUER}${path}`,
      nowSeconds: now(),
      ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
    })

  async function signUpBound(key: DpopKeyHolder = holder): Promise<Signed> {
    const response = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail('dpop'), password: PASSWORD },
      headers: { dpop: proofFor('/v1/signup', { key }) },
    })
    assert.equal(response.status, 201, response.text)
    assert.equal(response.body.token_type, 'DPoP')
    return tokensOf(response)
  }

  const refresh = (refreshToken: string, headers: Record<string, string> = {}) =>
    call(t.url, '/v1/refresh', { body: { refresh_token: refreshToken }, headers })

  before(async () => {
    t = await startTestServer()
    holder = createDpopKeyHolder('EdDSA')
  })
  after(() => t.close())

  test('metadata advertises the proof algorithms', async () => {
    const metadata = await call(t.url, '/.well-known/oauth-authorization-server')
    assert.deepEqual(metadata.body.dpop_signing_alg_values_supported, ['EdDSA', 'ES256'])
  })

  test('login with a proof (ES256 and EdDSA) binds the access token to the key: cnf.jkt, token_type DPoP', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const key = createDpopKeyHolder(alg)
      const email = uniqueEmail('dpop-login')
      await call(t.url, '/v1/signup', { body: { email, password: PASSWORD } })
      const response = await call(t.url, '/v1/login', {
        body: { email, password: PASSWORD },
        headers: { dpop: proofFor('/v1/login', { key }) },
      })
      assert.equal(response.status, 200, response.text)
      assert.equal(response.body.token_type, 'DPoP')
      assert.deepEqual(decodeClaims(tokensOf(response).accessToken).cnf, { jkt: key.jkt })
    }
  })

  test('login without a proof stays Bearer, with no cnf', async () => {
    const response = await call(t.url, '/v1/signup', { body: { email: uniqueEmail(), password: PASSWORD } })
    assert.equal(response.body.token_type, 'Bearer')
    assert.equal(decodeClaims(tokensOf(response).accessToken).cnf, undefined)
  })

  for (const [label, makeHeaders] of [
    ['another URL', () => ({ dpop: proofFor('/v1/refresh') })],
    ['another method', () => ({ dpop: proofFor('/v1/signup', { method: 'GET' }) })],
    [
      'a stale iat',
      () => ({ dpop: holder.proof({ method: 'POST', url: `${ISSUER}/v1/signup`, nowSeconds: now() - 600 }) }),
    ],
    ['garbage', () => ({ dpop: 'not.a.proof' })],
  ] as const) {
    test(`a proof for ${label} is 400 invalid_dpop_proof and creates no account or session`, async () => {
      const email = uniqueEmail('dpop-bad')
      const response = await call(t.url, '/v1/signup', {
        body: { email, password: PASSWORD },
        headers: makeHeaders(),
      })
      assertProblem(response, 400, 'invalid_dpop_proof', 'dpop_invalid')
      const login = await call(t.url, '/v1/login', { body: { email, password: PASSWORD } })
      assertProblem(login, 401, 'invalid_grant', 'invalid_credentials')
    })
  }

  test('two DPoP headers are refused', async () => {
    const response = await fetch(`${t.url}/v1/signup`, {
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['dpop', proofFor('/v1/signup')],
        ['dpop', proofFor('/v1/signup')],
      ],
      body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD }),
    })
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as { reason: string }).reason, 'dpop_invalid')
  })

  test('a proof used twice is refused the second time', async () => {
    const proof = proofFor('/v1/signup')
    const first = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { dpop: proof },
    })
    assert.equal(first.status, 201)
    const again = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { dpop: proof },
    })
    assertProblem(again, 400, 'invalid_dpop_proof', 'dpop_invalid')
    assert.match(String(again.body.message), /already used/)
  })

  test('/v1/me: a bound token needs the DPoP scheme and a proof by its key with ath', async () => {
    const session = await signUpBound()
    const { accessToken } = session
    const asBearer = await call(t.url, '/v1/me', { headers: bearer(accessToken) })
    assertProblem(asBearer, 401, 'invalid_token', 'dpop_invalid')
    assert.match(
      asBearer.headers.get('www-authenticate') ?? '',
      /^DPoP realm="tessera", .*algs="EdDSA ES256"/,
    )
    const dpopAuth = { authorization: `DPoP ${accessToken}` }
    const noProof = await call(t.url, '/v1/me', { headers: dpopAuth })
    assertProblem(noProof, 401, 'invalid_dpop_proof', 'dpop_invalid')
    const otherKey = await call(t.url, '/v1/me', {
      headers: {
        ...dpopAuth,
        dpop: proofFor('/v1/me', { method: 'GET', accessToken, key: createDpopKeyHolder() }),
      },
    })
    assertProblem(otherKey, 401, 'invalid_dpop_proof', 'dpop_invalid')
    const noAth = await call(t.url, '/v1/me', {
      headers: { ...dpopAuth, dpop: proofFor('/v1/me', { method: 'GET' }) },
    })
    assertProblem(noAth, 401, 'invalid_dpop_proof', 'dpop_invalid')
    const proof = proofFor('/v1/me', { method: 'GET', accessToken })
    const ok = await call(t.url, '/v1/me', { headers: { ...dpopAuth, dpop: proof } })
    assert.equal(ok.status, 200, ok.text)
    const replay = await call(t.url, '/v1/me', { headers: { ...dpopAuth, dpop: proof } })
    assertProblem(replay, 401, 'invalid_dpop_proof', 'dpop_invalid')
    // An unbound token under the DPoP scheme is a confused client.
    const plain = tokensOf(
      await call(t.url, '/v1/signup', { body: { email: uniqueEmail(), password: PASSWORD } }),
    )
    const unbound = await call(t.url, '/v1/me', {
      headers: {
        authorization: `DPoP ${plain.accessToken}`,
        dpop: proofFor('/v1/me', { method: 'GET', accessToken: plain.accessToken }),
      },
    })
    assertProblem(unbound, 401, 'invalid_token', 'dpop_invalid')
  })

  test('a bound session refreshes with its key; without it or with another key nothing changes', async () => {
    const session = await signUpBound()
    const without = await refresh(session.refreshToken)
    assertProblem(without, 401, 'invalid_grant', 'dpop_invalid')
    const other = await refresh(session.refreshToken, {
      dpop: proofFor('/v1/refresh', { key: createDpopKeyHolder() }),
    })
    assertProblem(other, 401, 'invalid_grant', 'dpop_invalid')
    const rotated = await refresh(session.refreshToken, { dpop: proofFor('/v1/refresh') })
    assert.equal(rotated.status, 200, rotated.text)
    assert.equal(rotated.body.token_type, 'DPoP')
    const next = tokensOf(rotated)
    assert.deepEqual(decodeClaims(next.accessToken).cnf, { jkt: holder.jkt })
    assert.equal(next.sessionId, session.sessionId)

    // After the grace window, the rotated token without the key is still refused as unbound, not as reuse:
    // the thief cannot end the honest holder's session.
    t.clock.advance(60)
    const stolen = await refresh(session.refreshToken, {
      dpop: proofFor('/v1/refresh', { key: createDpopKeyHolder() }),
    })
    assertProblem(stolen, 401, 'invalid_grant', 'dpop_invalid')
    const honest = await refresh(next.refreshToken, { dpop: proofFor('/v1/refresh') })
    assert.equal(honest.status, 200, honest.text)
  })

  test('an unbound session cannot be upgraded by a refresh with a proof', async () => {
    const plain = tokensOf(
      await call(t.url, '/v1/signup', { body: { email: uniqueEmail(), password: PASSWORD } }),
    )
    const upgraded = await refresh(plain.refreshToken, { dpop: proofFor('/v1/refresh') })
    assertProblem(upgraded, 401, 'invalid_grant', 'dpop_invalid')
    assert.equal((await refresh(plain.refreshToken)).status, 200)
  })

  test('/oauth/token refresh_token grant: same key required, 400 invalid_grant otherwise', async () => {
    const session = await signUpBound()
    const form = { grant_type: 'refresh_token', refresh_token: session.refreshToken, client_id: 'tessera' }
    const without = await postForm(t.url, '/oauth/token', form)
    assertProblem(without, 400, 'invalid_grant', 'dpop_invalid')
    const ok = await postForm(t.url, '/oauth/token', form, { dpop: proofFor('/oauth/token') })
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.body.token_type, 'DPoP')
    const badProof = await postForm(t.url, '/oauth/token', form, { dpop: proofFor('/v1/refresh') })
    assertProblem(badProof, 400, 'invalid_dpop_proof', 'dpop_invalid')
  })

  test('client_credentials with a proof gives a bound service token', async () => {
    const client = await createTestClient(t, 'orders:read')
    const response = await postForm(
      t.url,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      {
        ...client.headers,
        dpop: proofFor('/oauth/token'),
      },
    )
    assert.equal(response.status, 200, response.text)
    assert.equal(response.body.token_type, 'DPoP')
    assert.deepEqual(decodeClaims(String(response.body.access_token)).cnf, { jkt: holder.jkt })
  })

  test('logout by refresh token of a bound session needs the key; then it ends the session', async () => {
    const session = await signUpBound()
    const without = await call(t.url, '/v1/logout', { body: { refresh_token: session.refreshToken } })
    assertProblem(without, 401, 'invalid_grant', 'dpop_invalid')
    const stillAlive = await refresh(session.refreshToken, { dpop: proofFor('/v1/refresh') })
    assert.equal(stillAlive.status, 200)
    const next = tokensOf(stillAlive)
    const out = await call(t.url, '/v1/logout', {
      body: { refresh_token: next.refreshToken },
      headers: { dpop: proofFor('/v1/logout') },
    })
    assert.equal(out.status, 204, out.text)
    const after = await refresh(next.refreshToken, { dpop: proofFor('/v1/refresh') })
    assertProblem(after, 401, 'invalid_token', 'session_revoked')
  })
})

describe('DPoP nonces (dpop.requireNonce)', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer({ env: { TESSERA_DPOP_REQUIRE_NONCE: 'true' } })
  })
  after(() => t.close())

  test('a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce; the retry with it passes', async () => {
    const key = createDpopKeyHolder('ES256')
    const body = { email: uniqueEmail('nonce'), password: PASSWORD }
    const url = `${ISSUER}/v1/signup`
    const first = await call(t.url, '/v1/signup', {
      body,
      headers: { dpop: key.proof({ method: 'POST', url, nowSeconds: t.clock.nowSeconds() }) },
    })
    assertProblem(first, 400, 'use_dpop_nonce', 'dpop_invalid')
    const nonce = first.headers.get('dpop-nonce')
    assert.ok(nonce !== null && nonce.length > 0)
    const wrong = await call(t.url, '/v1/signup', {
      body,
      headers: {
        dpop: key.proof({ method: 'POST', url, nowSeconds: t.clock.nowSeconds(), nonce: 'A'.repeat(22) }),
      },
    })
    assertProblem(wrong, 400, 'use_dpop_nonce', 'dpop_invalid')
    const retry = await call(t.url, '/v1/signup', {
      body,
      headers: { dpop: key.proof({ method: 'POST', url, nowSeconds: t.clock.nowSeconds(), nonce }) },
    })
    assert.equal(retry.status, 201, retry.text)
    assert.ok(retry.headers.get('dpop-nonce'))
    // Two steps (2 × 60 s) later the nonce is stale.
    t.clock.advance(125)
    const stale = await call(t.url, '/v1/login', {
      body,
      headers: {
        dpop: key.proof({
          method: 'POST',
          url: `${ISSUER}/v1/login`,
          nowSeconds: t.clock.nowSeconds(),
          nonce,
        }),
      },
    })
    assertProblem(stale, 400, 'use_dpop_nonce', 'dpop_invalid')
  })
})

describe('DPoP replay register on Redis, shared by two instances', {
  skip: redisUrl === undefined ? 'Redis not reachable' : false,
}, () => {
  let a: TestServer
  let b: TestServer
  let admin: Redis
  let scope: RedisTestScope
  before(async () => {
    admin = createRedisConnection(redisUrl ?? '', { name: 'dpop-server-test' })
    scope = openRedisTestScope(admin)
    const env = { TESSERA_REDIS_URL: redisUrl ?? '', TESSERA_REDIS_KEY_PREFIX: scope.keyPrefix }
    a = await startTestServer({ env })
    b = await startTestServer({ env })
  })
  after(async () => {
    await a.close()
    await b.close()
    await scope.dropKeys()
    admin.disconnect()
  })

  test('a proof accepted by one instance is refused by the other', async () => {
    const key = createDpopKeyHolder()
    const proof = key.proof({ method: 'POST', url: `${ISSUER}/v1/signup`, nowSeconds: a.clock.nowSeconds() })
    const first = await call(a.url, '/v1/signup', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { dpop: proof },
    })
    assert.equal(first.status, 201, first.text)
    const replay = await call(b.url, '/v1/signup', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { dpop: proof },
    })
    assertProblem(replay, 400, 'invalid_dpop_proof', 'dpop_invalid')
  })
})
