import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { type AccessTokenVerifyOptions, checkAccessToken, verifyAccessToken } from './access-token.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import { signAccessToken } from './access-token-sign.ts'
import { encodeBase64url } from './base64url.ts'
import { createManualClock } from './clock.ts'
import { TesseraError } from './errors.ts'
import { generateSigningKey, type SigningKey, toVerificationKey, type VerificationKey } from './keys.ts'
import type { ReasonCode } from './reason-codes.ts'
import { replaceSegment, signRawJws } from './test-support/sign-raw-jws.ts'

const now = 1_700_000_000
const issuer = 'https://auth.example'
const edKey = generateSigningKey('EdDSA', 'ed-1')
const ecKey = generateSigningKey('ES256', 'ec-1')
const keysById = new Map<string, VerificationKey>([
  ['ed-1', toVerificationKey(edKey)],
  ['ec-1', toVerificationKey(ecKey)],
])

const claims: AccessTokenClaims = {
  iss: issuer,
  sub: 'usr_1',
  aud: [issuer, 'orders-api'],
  exp: now + 900,
  iat: now,
  jti: 'jti-1',
  client_id: 'web',
  sid: 'ses_1',
  scope: 'orders:read orders:write',
}

function optionsAt(
  nowSeconds: number,
  overrides: Partial<AccessTokenVerifyOptions> = {},
): AccessTokenVerifyOptions {
  return {
    keys: (header) => keysById.get(header.kid ?? ''),
    issuer,
    audience: 'orders-api',
    maxLifetimeSeconds: 900,
    clock: createManualClock(nowSeconds),
    ...overrides,
  }
}

const options = optionsAt(now + 1)

function reasonFor(
  token: string,
  verifyOptions: AccessTokenVerifyOptions = options,
): ReasonCode | 'accepted' {
  const check = checkAccessToken(token, verifyOptions)
  return check.ok ? 'accepted' : check.error.code
}

const edHeader = '{"alg":"EdDSA","typ":"at+jwt","kid":"ed-1"}'
const withClaims = (changes: Record<string, unknown>, key: SigningKey = edKey): string =>
  signRawJws(
    key === edKey ? edHeader : '{"alg":"ES256","typ":"at+jwt","kid":"ec-1"}',
    JSON.stringify({ ...claims, ...changes }),
    key,
  )
const withoutClaim = (name: string): string => {
  const { [name]: _dropped, ...rest } = claims
  return signRawJws(edHeader, JSON.stringify(rest), edKey)
}

describe('signAccessToken', () => {
  test('signs with the header {alg, typ: at+jwt, kid} and the claims as given', () => {
    const token = signAccessToken(claims, edKey)
    const [header, payload] = token.split('.') as [string, string]
    assert.equal(Buffer.from(header, 'base64url').toString(), edHeader)
    assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), claims)
  })

  test('refuses claims its own verifier would reject, and non access-token keys', () => {
    const bad: Record<string, Record<string, unknown>> = {
      'fractional exp': { exp: now + 0.5 },
      'empty sub': { sub: '' },
      'unpaired surrogate': { sub: '\ud800' },
      'path without slash': { path: 'orders' },
    }
    for (const [name, change] of Object.entries(bad)) {
      assert.throws(
        () => signAccessToken({ ...claims, ...change } as AccessTokenClaims, edKey),
        (error: unknown) => error instanceof TesseraError && error.code === 'malformed',
        name,
      )
    }
    const hmac: SigningKey = { kid: 'h', alg: 'HS256', key: createSecretKey(randomBytes(32)) }
    assert.throws(
      () => signAccessToken(claims, hmac),
      (error: unknown) => error instanceof TesseraError && error.code === 'unsupported_alg',
    )
  })
})

describe('verifyAccessToken', () => {
  test('accepts a valid EdDSA or ES256 token and returns its claims', () => {
    for (const key of [edKey, ecKey]) {
      const verified = verifyAccessToken(signAccessToken(claims, key), options)
      assert.deepEqual({ ...verified }, claims)
    }
    const check = checkAccessToken(signAccessToken(claims, edKey), options)
    assert.equal(check.ok, true)
  })

  test('accepts every optional binding claim when well typed', () => {
    const token = withClaims({
      nbf: now,
      fph: 'abc',
      cnf: { jkt: 'thumb' },
      max_uses: 3,
      path: '/orders/7',
      x: [1],
    })
    const verified = verifyAccessToken(token, options)
    assert.equal(verified.max_uses, 3)
    assert.equal(verified.cnf?.jkt, 'thumb')
  })

  test('1. token_too_large', () => {
    const token = signAccessToken(claims, edKey)
    assert.equal(reasonFor(token, optionsAt(now + 1, { maxLength: token.length - 1 })), 'token_too_large')
    assert.equal(reasonFor(withClaims({ pad: 'x'.repeat(7000) })), 'token_too_large')
  })

  test('2. malformed compact serialization', () => {
    const token = signAccessToken(claims, edKey)
    assert.equal(reasonFor(''), 'malformed')
    assert.equal(reasonFor(`${token} `), 'malformed')
    assert.equal(reasonFor(`Bearer ${token}`), 'malformed')
    assert.equal(reasonFor(token.replace('.', '..')), 'malformed')
  })

  test('3. wrong_type: typ must be exactly at+jwt', () => {
    const payload = JSON.stringify(claims)
    for (const typ of [undefined, 'JWT', 'jwt', 'AT+JWT', 'application/at+jwt', 'at+jwt ', 'dpop+jwt']) {
      const header =
        typ === undefined ? '{"alg":"EdDSA","kid":"ed-1"}' : `{"alg":"EdDSA","typ":"${typ}","kid":"ed-1"}`
      assert.equal(reasonFor(signRawJws(header, payload, edKey)), 'wrong_type', String(typ))
    }
  })

  test('4. unsupported_alg: alg outside the accepted algorithms', () => {
    const ecToken = signAccessToken(claims, ecKey)
    assert.equal(reasonFor(ecToken, optionsAt(now + 1, { algorithms: ['EdDSA'] })), 'unsupported_alg')
    const rsHeader = '{"alg":"RS256","typ":"at+jwt","kid":"ed-1"}'
    const rs = `${encodeBase64url(Buffer.from(rsHeader))}.${encodeBase64url(Buffer.from('{}'))}.AAAA`
    assert.equal(reasonFor(rs), 'unsupported_alg')
    const none = `${encodeBase64url(Buffer.from('{"alg":"none","typ":"at+jwt"}'))}.${encodeBase64url(Buffer.from(JSON.stringify(claims)))}.AAAA`
    assert.equal(reasonFor(none), 'unsupported_alg')
  })

  test('5. unknown_key', () => {
    const unknown = generateSigningKey('EdDSA', 'ed-2')
    assert.equal(reasonFor(signAccessToken(claims, unknown)), 'unknown_key')
    assert.equal(
      reasonFor(signRawJws('{"alg":"EdDSA","typ":"at+jwt"}', JSON.stringify(claims), edKey)),
      'unknown_key',
    )
  })

  test('6. unsupported_alg: header alg is not the key’s alg', () => {
    // An ES256 token whose kid names the EdDSA key.
    const token = signRawJws('{"alg":"ES256","typ":"at+jwt","kid":"ed-1"}', JSON.stringify(claims), ecKey)
    assert.equal(reasonFor(token), 'unsupported_alg')
  })

  test('7. bad_signature', () => {
    const token = signAccessToken(claims, edKey)
    const impostor = generateSigningKey('EdDSA', 'ed-1')
    assert.equal(reasonFor(signAccessToken(claims, impostor)), 'bad_signature')
    const otherPayload = encodeBase64url(Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })))
    assert.equal(reasonFor(replaceSegment(token, 1, otherPayload)), 'bad_signature')
  })

  test('8. malformed payload: not UTF-8, not strict JSON, not an object', () => {
    const payloads: Record<string, string | Uint8Array> = {
      'invalid UTF-8': Buffer.from([0x7b, 0x22, 0x73, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      'not JSON': 'sub=admin',
      empty: '',
      array: JSON.stringify([claims]),
      string: '"claims"',
      'duplicate exp': JSON.stringify(claims).replace('{', `{"exp":${now + 99999},`),
      'too deep': JSON.stringify({ ...claims, x: JSON.parse('['.repeat(16) + ']'.repeat(16)) }),
    }
    for (const [name, payload] of Object.entries(payloads)) {
      assert.equal(reasonFor(signRawJws(edHeader, payload, edKey)), 'malformed', name)
    }
  })

  test('9. malformed claim types', () => {
    const changes: Record<string, Record<string, unknown>> = {
      'exp 1e400': { exp: 'PLACEHOLDER_1e400' },
      'exp 1.5': { exp: 1.5 },
      'exp "123"': { exp: String(now + 900) },
      'exp -1': { exp: -1 },
      'exp null': { exp: null },
      'exp beyond 2^53': { exp: 2 ** 53 },
      'iat 1.5': { iat: now + 0.5 },
      'iat string': { iat: String(now) },
      'nbf fraction': { nbf: now + 0.5 },
      'nbf string': { nbf: 'now' },
      'iss empty': { iss: '' },
      'iss number': { iss: 1 },
      'sub object': { sub: { id: 1 } },
      'aud empty array': { aud: [] },
      'aud empty string': { aud: '' },
      'aud with a number': { aud: ['orders-api', 1] },
      'aud object': { aud: { 0: 'orders-api' } },
      'jti empty': { jti: '' },
      'client_id number': { client_id: 7 },
      'sid number': { sid: 1 },
      'scope array': { scope: ['orders:read'] },
      'fph number': { fph: 1 },
      'cnf string': { cnf: 'thumb' },
      'cnf array': { cnf: ['thumb'] },
      'cnf.jkt number': { cnf: { jkt: 1 } },
      'max_uses 0': { max_uses: 0 },
      'max_uses -1': { max_uses: -1 },
      'max_uses 1.5': { max_uses: 1.5 },
      'max_uses string': { max_uses: '3' },
      'path relative': { path: 'orders' },
      'path number': { path: 1 },
    }
    for (const [name, change] of Object.entries(changes)) {
      const json = JSON.stringify({ ...claims, ...change }).replace('"PLACEHOLDER_1e400"', '1e400')
      assert.equal(reasonFor(signRawJws(edHeader, json, edKey)), 'malformed', name)
    }
    for (const name of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id']) {
      assert.equal(reasonFor(withoutClaim(name)), 'malformed', `missing ${name}`)
    }
  })

  test('10. wrong_issuer: exact match only', () => {
    for (const iss of [
      'https://auth.example/',
      'https://AUTH.example',
      'https://evil.example',
      'https://auth.example.evil',
    ]) {
      assert.equal(reasonFor(withClaims({ iss })), 'wrong_issuer', iss)
    }
  })

  test('11. wrong_audience: exact membership, string or array', () => {
    assert.equal(reasonFor(withClaims({ aud: 'orders-api' })), 'accepted')
    assert.equal(reasonFor(withClaims({ aud: 'orders-api-evil' })), 'wrong_audience', 'no substring match')
    assert.equal(reasonFor(withClaims({ aud: 'orders' })), 'wrong_audience', 'no prefix match')
    assert.equal(reasonFor(withClaims({ aud: ['billing-api', issuer] })), 'wrong_audience')
    const anyOf = optionsAt(now + 1, { audience: ['billing-api', 'orders-api'] })
    assert.equal(reasonFor(withClaims({ aud: ['orders-api'] }), anyOf), 'accepted')
    assert.equal(reasonFor(withClaims({ aud: 'billing-api' }), anyOf), 'accepted')
    assert.equal(reasonFor(withClaims({ aud: 'search-api' }), anyOf), 'wrong_audience')
    assert.equal(reasonFor(withClaims({}), optionsAt(now + 1, { audience: [] })), 'wrong_audience')
  })

  test('12. expired: from now ≥ exp + leeway', () => {
    const token = signAccessToken(claims, edKey)
    assert.equal(reasonFor(token, optionsAt(now + 900 + 4)), 'accepted')
    assert.equal(reasonFor(token, optionsAt(now + 900 + 5)), 'expired')
    assert.equal(reasonFor(token, optionsAt(now + 899, { leewaySeconds: 0 })), 'accepted')
    assert.equal(reasonFor(token, optionsAt(now + 900, { leewaySeconds: 0 })), 'expired')
    const clock = createManualClock(now)
    const live = optionsAt(now, { clock })
    assert.equal(reasonFor(token, live), 'accepted')
    clock.advance(905)
    assert.equal(reasonFor(token, live), 'expired')
  })

  test('13. not_yet_valid: nbf or iat beyond now + leeway', () => {
    const future = (seconds: number): string => withClaims({ iat: now + seconds, exp: now + seconds + 900 })
    assert.equal(reasonFor(future(5), optionsAt(now)), 'accepted')
    assert.equal(reasonFor(future(6), optionsAt(now)), 'not_yet_valid')
    assert.equal(reasonFor(future(1), optionsAt(now, { leewaySeconds: 0 })), 'not_yet_valid')
    assert.equal(reasonFor(withClaims({ nbf: now + 5 }), optionsAt(now)), 'accepted')
    assert.equal(reasonFor(withClaims({ nbf: now + 6 }), optionsAt(now)), 'not_yet_valid')
  })

  test('14. lifetime_exceeded: exp − iat above the maximum', () => {
    assert.equal(reasonFor(withClaims({ exp: now + 901 })), 'lifetime_exceeded')
    assert.equal(
      reasonFor(withClaims({ exp: now + 901 }), optionsAt(now + 1, { maxLifetimeSeconds: 901 })),
      'accepted',
    )
    assert.equal(reasonFor(withClaims({ exp: now + 10 * 365 * 86400 })), 'lifetime_exceeded')
  })

  test('15. too_old: now − iat above maxAgeSeconds', () => {
    const token = signAccessToken(claims, edKey)
    assert.equal(reasonFor(token, optionsAt(now + 60, { maxAgeSeconds: 60 })), 'accepted')
    assert.equal(reasonFor(token, optionsAt(now + 61, { maxAgeSeconds: 60 })), 'too_old')
    assert.equal(reasonFor(token, optionsAt(now + 61)), 'accepted')
  })

  test('reports the earliest broken rule when several are broken', () => {
    const wrongTypeBadSignature = replaceSegment(
      signRawJws('{"alg":"EdDSA","typ":"JWT","kid":"ed-1"}', JSON.stringify(claims), edKey),
      2,
      encodeBase64url(Buffer.alloc(64)),
    )
    assert.equal(reasonFor(wrongTypeBadSignature), 'wrong_type')
    const ecWithUnknownKid = signRawJws(
      '{"alg":"ES256","typ":"at+jwt","kid":"nope"}',
      JSON.stringify(claims),
      ecKey,
    )
    assert.equal(
      reasonFor(ecWithUnknownKid, optionsAt(now + 1, { algorithms: ['EdDSA'] })),
      'unsupported_alg',
    )
    const badSignatureBadClaims = replaceSegment(
      withClaims({ exp: 1.5 }),
      2,
      encodeBase64url(Buffer.alloc(64)),
    )
    assert.equal(reasonFor(badSignatureBadClaims), 'bad_signature')
    assert.equal(
      reasonFor(withClaims({ iss: 'https://evil.example', aud: 'x', exp: now - 100 })),
      'wrong_issuer',
    )
    assert.equal(reasonFor(withClaims({ aud: 'x', exp: now - 100 })), 'wrong_audience')
    assert.equal(reasonFor(withClaims({ iat: now - 5000, exp: now - 100 })), 'expired')
    assert.equal(reasonFor(withClaims({ iat: now + 100, exp: now + 10000 })), 'not_yet_valid')
    assert.equal(
      reasonFor(withClaims({ exp: now + 5000 }), optionsAt(now + 100, { maxAgeSeconds: 10 })),
      'lifetime_exceeded',
    )
  })
})

describe('checkAccessToken', () => {
  test('returns the error as a value for every TesseraError', () => {
    const check = checkAccessToken('not.a.token!', options)
    assert.equal(check.ok, false)
    if (!check.ok) {
      assert.ok(check.error instanceof TesseraError)
      assert.equal(check.error.code, 'malformed')
    }
  })

  test('lets other errors through, so a broken key resolver is not mistaken for a bad token', () => {
    const broken = optionsAt(now + 1, {
      keys: () => {
        throw new Error('key store unavailable')
      },
    })
    assert.throws(() => checkAccessToken(signAccessToken(claims, edKey), broken), /key store unavailable/)
  })
})
