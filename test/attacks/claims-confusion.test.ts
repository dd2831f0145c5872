import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createDpopProof, exportPublicJwk, generateSigningKey, type ReasonCode } from '@tessera/core'
import { AUDIENCE } from '../guard/guard-fixtures.ts'
import { createTestClient, postForm } from '../support/service-clients.ts'
import { bearer, call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'
import { type AttackRig, ORDERS_SCOPE, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly, databaseDigest } from './support/nothing-changed.ts'
import { accessTokenHeader, b64u } from './support/token-forge.ts'

/**
 * RFC 9068 §4 and RFC 8725 §3.11–3.12: a token of another kind (refresh token, ID token, DPoP proof, service
 * token) or from another tenant must never pass as this API's user access token, neither at a guard nor at
 * the auth server's own user endpoints — and refusing it changes no row and costs no key fetch.
 */
describe('cross-token and cross-tenant confusion', () => {
  let rig: AttackRig
  let tenantB: TestServer
  let sameIssuerTenant: TestServer
  before(async () => {
    rig = await startAttackRig()
    const env = {
      TESSERA_ACCESS_TOKEN_AUDIENCES: AUDIENCE,
      TESSERA_ACCESS_TOKEN_DEFAULT_SCOPES: ORDERS_SCOPE,
    }
    tenantB = await startTestServer({ env: { ...env, TESSERA_ISSUER: 'https://tenant-b.example' } })
    // Someone running their own Tessera that claims the first tenant's issuer string, with its own keys.
    sameIssuerTenant = await startTestServer({ env: { ...env, TESSERA_ISSUER: rig.issuer.url } })
  })
  after(async () => {
    await Promise.all([rig.close(), tenantB.close(), sameIssuerTenant.close()])
  })

  /** The auth server's own user endpoint refuses it too, with the reason, and no row changes. */
  async function assertServerRefuses(token: string, reason: ReasonCode): Promise<void> {
    const file = rig.server.server.services.databaseFile as string
    const before = databaseDigest(file)
    const response = await call(rig.server.url, '/v1/me', { headers: bearer(token) })
    assert.equal(response.status, reason === 'insufficient_scope' ? 403 : 401, response.text)
    assert.equal(response.body.reason, reason)
    assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`error_description="${reason}"`))
    assert.equal(databaseDigest(file), before)
  }

  describe('a token from another Tessera tenant, with its own keys', () => {
    test('tenant B’s real access token at tenant A’s guard: unknown_key', async () => {
      const user = await signUp(tenantB.url)
      await assertRefusedQuietly(rig, user.accessToken, { reason: 'unknown_key' })
    })

    test('a tenant claiming A’s issuer string, its real token at A’s guard: unknown_key', async () => {
      const user = await signUp(sameIssuerTenant.url)
      await assertRefusedQuietly(rig, user.accessToken, { reason: 'unknown_key' })
    })

    test('tenant B’s signing key under tenant A’s kid, with A’s claims: bad_signature', async () => {
      const keyB = { ...tenantB.server.services.ring.signingKey, kid: rig.serverKey.kid }
      await assertRefusedQuietly(rig, rig.sign(rig.claims(), keyB), { reason: 'bad_signature' })
    })

    test('tenant B’s real access token at tenant A’s /v1/me: unknown_key, no row changed', async () => {
      const user = await signUp(tenantB.url)
      await assertServerRefuses(user.accessToken, 'unknown_key')
    })
  })

  describe('another kind of token presented as an access token', () => {
    const idTokenClaims = (): Record<string, unknown> => {
      const now = rig.clock.nowSeconds()
      return {
        iss: rig.issuer.url,
        sub: rig.user.userId,
        aud: 'web',
        exp: now + 300,
        iat: now,
        auth_time: now,
        nonce: b64u(randomBytes(16)),
      }
    }
    const dpopProof = (): string => {
      const holder = generateSigningKey('ES256', 'holder')
      const jwk = exportPublicJwk(holder)
      return createDpopProof({
        privateKey: holder.key,
        publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string },
        alg: 'ES256',
        method: 'GET',
        url: `${rig.apiUrl}/any`,
        nowSeconds: rig.clock.nowSeconds(),
        jti: b64u(randomBytes(16)),
        accessToken: rig.user.accessToken,
      })
    }
    const cases: readonly { name: string; token: () => string; reason: ReasonCode }[] = [
      { name: 'the user’s refresh token', token: () => rig.user.refreshToken, reason: 'malformed' },
      {
        name: 'an OIDC ID token (typ JWT) signed by the issuer',
        token: () =>
          rig.sign(idTokenClaims(), rig.serverKey, { ...accessTokenHeader(rig.serverKey), typ: 'JWT' }),
        reason: 'wrong_type',
      },
      {
        name: 'an ID token without typ that carries every access-token claim',
        token: () =>
          rig.sign({ ...rig.claims(), ...idTokenClaims(), aud: [rig.issuer.url, AUDIENCE] }, rig.serverKey, {
            alg: 'EdDSA',
            kid: rig.serverKey.kid,
          }),
        reason: 'wrong_type',
      },
      { name: 'a DPoP proof (RFC 9449 §4.2)', token: dpopProof, reason: 'malformed' },
      {
        name: 'an issuer-signed JWS typed dpop+jwt with access-token claims',
        token: () =>
          rig.sign(rig.claims(), rig.serverKey, { ...accessTokenHeader(rig.serverKey), typ: 'dpop+jwt' }),
        reason: 'wrong_type',
      },
    ]
    for (const { name, token, reason } of cases) {
      test(`${name} at the guard: ${reason}`, () => assertRefusedQuietly(rig, token(), { reason }))
      test(`${name} at the auth server’s /v1/me: ${reason}, no row changed`, () =>
        assertServerRefuses(token(), reason))
    }
  })

  describe('service tokens where a user is required', () => {
    const serviceToken = async (scopes: string): Promise<string> => {
      const client = await createTestClient(rig.server, scopes)
      const issued = await postForm(
        rig.server.url,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        client.headers,
      )
      assert.equal(issued.status, 200, issued.text)
      return issued.body.access_token as string
    }

    test('a client_credentials token without the route’s scope at the guard: insufficient_scope (403)', async () => {
      await assertRefusedQuietly(rig, await serviceToken('reports:read'), {
        reason: 'insufficient_scope',
        options: { scope: ORDERS_SCOPE },
      })
    })

    test('a client_credentials token carrying the scope at /v1/me (needs a signed-in user): insufficient_scope', async () => {
      await assertServerRefuses(await serviceToken(ORDERS_SCOPE), 'insufficient_scope')
    })

    test('a token the server minted for another API (POST /v1/tokens) at this guard: wrong_audience', async () => {
      const client = await createTestClient(rig.server, 'tokens:mint tokens:mint_users')
      const minted = await call(rig.server.url, '/v1/tokens', {
        headers: client.headers,
        body: { tokens: [{ sub: rig.user.userId, aud: 'billing-api', ttl: 300 }] },
      })
      assert.equal(minted.status, 200, minted.text)
      const token = (minted.body.tokens as { access_token: string }[])[0]?.access_token as string
      await assertRefusedQuietly(rig, token, { reason: 'wrong_audience' })
    })
  })
})
