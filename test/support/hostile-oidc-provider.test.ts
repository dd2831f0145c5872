// Self-test of the hostile OpenID Provider against a real relying-party library, openid-client 6.9.0, run twice:
// with its defaults, and with `enableNonRepudiationChecks` (its opt-in ID token signature check). Each case also
// decodes what the provider sent and asserts the corruption directly, so every case provably does what it says.
// The expectations pin openid-client's behaviour: an `accepts` row is a hole Tessera must close itself.
import assert from 'node:assert/strict'
import { createHmac, createPublicKey, verify } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { AuthorizationResponseError } from 'openid-client'
import { type HostileProvider, startHostileProvider } from './hostile-oidc-provider.ts'
import { attackerIssuer, type DecodedJws, type HostileCase, hostileCases } from './hostile-oidc-tokens.ts'
import {
  type OpenidClientLogin as Flow,
  type LoginOptions,
  loginWithOpenidClient,
} from './openid-client-login.ts'

const redirectUri = 'http://127.0.0.1:9/v1/oidc/hostile/callback' // never fetched: the test plays the browser
const runFlow = (op: HostileProvider, options: Omit<LoginOptions, 'redirectUri'>): Promise<Flow> =>
  loginWithOpenidClient(op, { redirectUri, ...options })

type Verdict = { readonly accepts: true } | { readonly refuses: string; readonly because: RegExp }
const accepts: Verdict = { accepts: true }
const refuses = (code: string, because: RegExp): Verdict => ({ refuses: code, because })
const claimMismatch = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'
const invalidResponse = 'OAUTH_INVALID_RESPONSE'
const timestampCheck = 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'

interface CaseExpectation {
  /** openid-client with its defaults. */
  readonly plain: Verdict
  /** openid-client after `enableNonRepudiationChecks(config)`. */
  readonly nonRepudiation?: Verdict
  readonly corruption: (flow: Flow, op: HostileProvider) => void | Promise<void>
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const claimsOf = (flow: Flow): Record<string, unknown> => {
  assert.ok(flow.idToken, 'the token response carries an id_token')
  return flow.idToken.claims
}

async function isSignedByJwks(op: HostileProvider, token: DecodedJws): Promise<boolean> {
  const jwks = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: { kid: string }[] }
  const jwk = jwks.keys.find((key) => key.kid === token.header.kid)
  if (jwk === undefined) return false
  const key = createPublicKey({ key: jwk, format: 'jwk' })
  return verify('sha256', Buffer.from(token.signingInput), key, token.signature)
}

const expectations: Record<HostileCase, CaseExpectation> = {
  honest: {
    plain: accepts,
    corruption: async (flow, op) => {
      assert.ok(flow.idToken && (await isSignedByJwks(op, flow.idToken)), 'RS256 signature verifies under k1')
      assert.deepEqual(flow.idToken.header, { alg: 'RS256', typ: 'JWT', kid: 'k1' })
      const claims = claimsOf(flow)
      assert.equal(claims.iss, op.issuer)
      assert.equal(claims.aud, op.clientId)
      assert.equal(claims.nonce, flow.nonce)
      assert.equal(claims.exp, (claims.iat as number) + 600)
      assert.equal(flow.redirect.searchParams.get('iss'), op.issuer)
      assert.equal(flow.tokenHeaders?.get('cache-control'), 'no-store')
      assert.equal(claims.email, 'user1@hostile.example')
      assert.equal(claims.email_verified, true)
      assert.equal(op.tokenRequests.at(-1)?.codeVerifier, flow.verifier)
      assert.equal(op.tokenRequests.at(-1)?.clientAuthMethod, 'client_secret_post')
    },
  },
  wrong_iss: {
    plain: refuses(claimMismatch, /"iss" \(issuer\) claim value/),
    corruption: (flow) => assert.equal(claimsOf(flow).iss, attackerIssuer),
  },
  wrong_aud: {
    plain: refuses(claimMismatch, /"aud" \(audience\) claim value/),
    corruption: (flow) => assert.equal(claimsOf(flow).aud, 'other-client'),
  },
  extra_aud_without_azp: {
    plain: refuses(claimMismatch, /additional untrusted audiences/),
    corruption: (flow, op) => {
      assert.deepEqual(claimsOf(flow).aud, [op.clientId, 'other-client'])
      assert.equal('azp' in claimsOf(flow), false)
    },
  },
  wrong_azp: {
    plain: refuses(claimMismatch, /"azp" \(authorized party\) claim value/),
    corruption: (flow, op) => {
      assert.deepEqual(claimsOf(flow).aud, [op.clientId, 'other'])
      assert.equal(claimsOf(flow).azp, 'other')
    },
  },
  missing_nonce: {
    plain: refuses(invalidResponse, /"nonce" \(nonce\) claim missing/),
    corruption: (flow) => assert.equal('nonce' in claimsOf(flow), false),
  },
  wrong_nonce: {
    plain: refuses(claimMismatch, /"nonce" claim value/),
    corruption: (flow) => {
      assert.equal(typeof claimsOf(flow).nonce, 'string')
      assert.notEqual(claimsOf(flow).nonce, flow.nonce)
    },
  },
  expired: {
    plain: refuses(timestampCheck, /"exp" \(expiration time\)/),
    corruption: (flow) => {
      const { exp, iat } = claimsOf(flow) as { exp: number; iat: number }
      assert.ok(exp <= nowSeconds() - 590, `exp ${exp} is ten minutes past`)
      assert.equal(iat, exp - 300)
    },
  },
  issued_in_future: {
    // Refused on nbf only: openid-client type-checks iat but never compares it with the clock.
    plain: refuses(timestampCheck, /"nbf" \(not before\)/),
    corruption: (flow) => {
      const { iat, nbf, exp } = claimsOf(flow) as { iat: number; nbf: number; exp: number }
      assert.ok(iat >= nowSeconds() + 3500, `iat ${iat} is an hour ahead`)
      assert.equal(nbf, iat)
      assert.equal(exp, iat + 600)
    },
  },
  alg_none: {
    plain: refuses(invalidResponse, /unexpected JWT "alg" header parameter/),
    corruption: (flow) => {
      assert.deepEqual(flow.idToken?.header, { alg: 'none' })
      assert.equal(flow.idToken.signature.length, 0)
    },
  },
  hs256_client_secret: {
    plain: refuses(invalidResponse, /unexpected JWT "alg" header parameter/),
    corruption: (flow, op) => {
      assert.equal(flow.idToken?.header.alg, 'HS256')
      const mac = createHmac('sha256', op.clientSecret).update(flow.idToken.signingInput).digest()
      assert.deepEqual(flow.idToken.signature, mac, 'a valid HMAC keyed with the client secret')
    },
  },
  bad_signature: {
    // openid-client does not verify an ID token's signature from the token endpoint unless asked to.
    plain: accepts,
    nonRepudiation: refuses(invalidResponse, /JWT signature verification failed/),
    corruption: async (flow, op) => {
      assert.ok(flow.idToken)
      assert.equal(flow.idToken.header.kid, 'k1')
      assert.equal(await isSignedByJwks(op, flow.idToken), false)
      const repaired = Buffer.from(flow.idToken.signature)
      repaired[0] = (repaired[0] as number) ^ 0x01
      const token = { ...flow.idToken, signature: repaired }
      assert.equal(await isSignedByJwks(op, token), true, 'exactly one byte was flipped')
    },
  },
  unknown_kid: {
    plain: accepts,
    nonRepudiation: refuses('OAUTH_KEY_SELECTION_FAILED', /no applicable keys found/),
    corruption: async (flow, op) => {
      assert.ok(flow.idToken)
      assert.equal(flow.idToken.header.alg, 'RS256')
      assert.equal(await isSignedByJwks(op, flow.idToken), false, 'its kid is not in the JWKS')
      assert.equal(await isSignedByJwks(op, { ...flow.idToken, header: { kid: 'k1' } }), false)
    },
  },
  mixup_iss_param: {
    plain: refuses(invalidResponse, /unexpected "iss" \(issuer\) response parameter value/),
    corruption: (flow) => {
      assert.equal(flow.redirect.searchParams.get('iss'), attackerIssuer)
      assert.equal(flow.tokenStatus, undefined, 'refused before the code was redeemed')
    },
  },
  no_id_token: {
    plain: refuses(invalidResponse, /"id_token" property must be a string/),
    corruption: (flow) => {
      assert.equal(flow.tokenStatus, 200)
      assert.equal(typeof flow.tokenBody?.access_token, 'string')
      assert.equal('id_token' in (flow.tokenBody ?? {}), false)
    },
  },
  token_endpoint_error: {
    plain: refuses('OAUTH_RESPONSE_BODY_ERROR', /server responded with an error/),
    corruption: (flow, op) => {
      assert.equal(flow.tokenStatus, 400)
      assert.equal(flow.tokenBody?.error, 'invalid_grant')
      assert.equal(op.tokenRequests.at(-1)?.ok, true, 'the request itself was a correct one')
    },
  },
  slow_token_endpoint: {
    plain: refuses('OAUTH_TIMEOUT', /aborted due to timeout/),
    corruption: (flow, op) => {
      assert.equal(flow.tokenStatus, undefined, 'no answer within the client timeout')
      assert.equal(op.tokenRequests.at(-1)?.ok, true)
    },
  },
}

/** "ClientError OAUTH_… — message — cause message", as the report table shows it. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const cause = error.cause instanceof Error ? ` — ${error.cause.message}` : ''
  return `${error.constructor.name} ${String(code)} — ${error.message}${cause}`
}

function assertVerdict(flow: Flow, verdict: Verdict): string {
  if ('accepts' in verdict) {
    assert.equal(flow.outcome.accepted, true, flow.outcome.accepted ? '' : describeError(flow.outcome.error))
    return 'accepts'
  }
  assert.equal(flow.outcome.accepted, false, 'openid-client refuses')
  const error = flow.outcome.accepted ? undefined : flow.outcome.error
  assert.ok(error instanceof Error)
  assert.equal((error as { code?: unknown }).code, verdict.refuses)
  const cause = error.cause instanceof Error ? error.cause.message : ''
  assert.match(`${error.message} — ${cause}`, verdict.because)
  return `refuses: ${describeError(error)}`
}

describe('hostile OIDC provider against openid-client 6.9.0', () => {
  let op: HostileProvider
  before(async () => {
    op = await startHostileProvider({ redirectUris: [redirectUri] })
  })
  after(() => op.close())

  for (const hostileCase of hostileCases) {
    const expected = expectations[hostileCase]
    for (const nonRepudiation of [false, true]) {
      const mode = nonRepudiation ? 'with enableNonRepudiationChecks' : 'with its defaults'
      it(`${hostileCase}: ${mode}`, async (t) => {
        op.setCase(hostileCase)
        const timeoutSeconds = hostileCase === 'slow_token_endpoint' ? 1 : undefined
        const flow = await runFlow(op, { nonRepudiation, ...(timeoutSeconds ? { timeoutSeconds } : {}) })
        await expected.corruption(flow, op)
        const verdict = nonRepudiation ? (expected.nonRepudiation ?? expected.plain) : expected.plain
        t.diagnostic(`${hostileCase} (${mode}): openid-client ${assertVerdict(flow, verdict)}`)
      })
    }
  }

  it('honest with client_secret_basic: accepted, and the provider saw Basic auth and the right verifier', async () => {
    op.setCase('honest')
    const flow = await runFlow(op, { nonRepudiation: true, basicAuth: true })
    assertVerdict(flow, accepts)
    const last = op.tokenRequests.at(-1)
    assert.equal(last?.clientAuthMethod, 'client_secret_basic')
    assert.equal(last.hasAuthorizationHeader, true)
    assert.equal(last.ok, true)
    assert.equal(last.codeVerifier, flow.verifier)
  })

  it('an authorization response without the RFC 9207 iss parameter is refused (discovery advertises it)', async () => {
    op.setCase('honest')
    const flow = await runFlow(op, {
      nonRepudiation: false,
      editRedirect: (url) => url.searchParams.delete('iss'),
    })
    assertVerdict(flow, refuses(invalidResponse, /response parameter "iss" \(issuer\) missing/))
  })

  it('options.error: an access_denied redirect that openid-client raises as AuthorizationResponseError', async () => {
    op.setCase('honest')
    const flow = await runFlow(op, { nonRepudiation: false, authorizeOptions: { error: 'access_denied' } })
    assert.equal(flow.redirect.searchParams.get('error'), 'access_denied')
    assert.equal(flow.redirect.searchParams.get('code'), null)
    assert.equal(flow.redirect.searchParams.get('iss'), op.issuer)
    assert.equal(flow.outcome.accepted, false)
    const error = flow.outcome.accepted ? undefined : flow.outcome.error
    assert.ok(error instanceof AuthorizationResponseError)
    assert.equal(error.error, 'access_denied')
  })
})
