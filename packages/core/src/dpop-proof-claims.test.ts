import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { verifyDpopProof } from './dpop-proof.ts'
import { computeJwkThumbprint } from './jwk-export.ts'
import {
  accessToken,
  generateDpopTestKey,
  honestParts,
  honestProof,
  now,
  outcomeOf,
  rawProof,
  requestOptions,
} from './test-support/dpop-fixtures.ts'

const key = generateDpopTestKey('EdDSA')
const { header, claims } = honestParts(key)
const withClaims = (changes: Readonly<Record<string, unknown>>): string =>
  rawProof(key, header, { ...claims, ...changes })
const withoutClaim = (name: string): string =>
  rawProof(key, header, Object.fromEntries(Object.entries(claims).filter(([claim]) => claim !== name)))

describe('verifyDpopProof: jti and htm', () => {
  test('jti must be a string of 1 to 256 characters', () => {
    const detail = 'jti: the jti claim is not a string of 1 to 256 characters'
    assert.equal(outcomeOf(withoutClaim('jti')), detail)
    assert.equal(outcomeOf(withClaims({ jti: '' })), detail)
    assert.equal(outcomeOf(withClaims({ jti: 'j'.repeat(257) })), detail)
    assert.equal(outcomeOf(withClaims({ jti: 42 })), detail)
    assert.equal(outcomeOf(withClaims({ jti: 'j'.repeat(256) })), 'ok')
  })

  test('htm must equal the method, case-sensitively (RFC 9110 §9.1)', () => {
    assert.equal(
      outcomeOf(withClaims({ htm: 'get' })),
      'htm: the htm claim does not match the request method',
    )
    assert.equal(
      outcomeOf(withClaims({ htm: 'POST' })),
      'htm: the htm claim does not match the request method',
    )
    assert.equal(outcomeOf(withoutClaim('htm')), 'htm: the htm claim is missing or not a string')
    assert.equal(outcomeOf(withClaims({ htm: 'get' }), requestOptions({ method: 'get' })), 'ok')
  })
})

describe('verifyDpopProof: htu', () => {
  const mismatch = 'htu: the htu claim does not match the request URL'

  test('another host, port, path or scheme is refused', () => {
    for (const htu of [
      'https://attacker.example.com/orders',
      'https://api.example.com:8443/orders',
      'https://api.example.com/orders/1',
      'https://api.example.com/Orders',
      'https://api.example.com/orders/',
      'http://api.example.com/orders',
      'https://user@api.example.com/orders',
    ]) {
      assert.equal(outcomeOf(withClaims({ htu })), mismatch, htu)
    }
  })

  test('URLs equal after RFC 3986 §6 normalisation match, on either side', () => {
    const options = requestOptions({ url: 'https://example.com/a' })
    assert.equal(outcomeOf(withClaims({ htu: 'HTTPS://Example.COM:443/a?x=1#f' }), options), 'ok')
    assert.equal(outcomeOf(withClaims({ htu: 'https://example.com/b/../a' }), options), 'ok')
    const request = requestOptions({ url: 'HTTPS://API.example.com:443/orders?page=2' })
    assert.equal(outcomeOf(honestProof(key), request), 'ok')
    const tilde = requestOptions({ url: 'https://example.com/~user/%c3%a9' })
    assert.equal(outcomeOf(withClaims({ htu: 'https://example.com/%7Euser/%C3%A9' }), tilde), 'ok')
  })

  test('an htu that is not an absolute http(s) URL, or none, is refused', () => {
    const detail = 'htu: the htu claim is not an absolute http(s) URL'
    for (const htu of ['/orders', 'api.example.com/orders', 'ftp://api.example.com/orders', ' https://x/']) {
      assert.equal(outcomeOf(withClaims({ htu })), detail, htu)
    }
    assert.equal(outcomeOf(withoutClaim('htu')), 'htu: the htu claim is missing or not a string')
  })

  test('an unusable request URL (say, from a bad Host header) is a refusal, not an exception', () => {
    assert.equal(
      outcomeOf(honestProof(key), requestOptions({ url: 'https://bad host/orders' })),
      'htu: the request URL is not an absolute http(s) URL',
    )
  })
})

describe('verifyDpopProof: nonce', () => {
  const nonce = 'server-nonce-1'

  test('when required, a missing or different nonce is refused', () => {
    const options = requestOptions({ nonce })
    assert.equal(outcomeOf(honestProof(key), options), 'nonce: the nonce claim is missing or not a string')
    assert.equal(
      outcomeOf(honestProof(key, { nonce: 'server-nonce-0' }), options),
      'nonce: the nonce claim is not a nonce this server accepts',
    )
    assert.equal(outcomeOf(honestProof(key, { nonce }), options), 'ok')
  })

  test('a nonce test function decides, and is given the claim', () => {
    const seen: string[] = []
    const isFresh = (value: string): boolean => {
      seen.push(value)
      return value === nonce
    }
    assert.equal(outcomeOf(honestProof(key, { nonce }), requestOptions({ nonce: isFresh })), 'ok')
    assert.equal(
      outcomeOf(honestProof(key, { nonce: 'old' }), requestOptions({ nonce: isFresh })),
      'nonce: the nonce claim is not a nonce this server accepts',
    )
    assert.deepEqual(seen, [nonce, 'old'])
  })

  test('when not required, a nonce in the proof is ignored', () => {
    assert.equal(outcomeOf(honestProof(key, { nonce })), 'ok')
  })
})

describe('verifyDpopProof: iat', () => {
  test('the window is [now − 60 − 5, now + 5] by default', () => {
    assert.equal(outcomeOf(withClaims({ iat: now - 65 })), 'ok')
    assert.equal(outcomeOf(withClaims({ iat: now - 66 })), 'iat: the iat claim is too old')
    assert.equal(outcomeOf(withClaims({ iat: now + 5 })), 'ok')
    assert.equal(outcomeOf(withClaims({ iat: now + 6 })), 'iat: the iat claim is in the future')
    assert.equal(outcomeOf(withClaims({ iat: now + 5.5 })), 'iat: the iat claim is in the future')
  })

  test('maxAgeSeconds and leewaySeconds move it', () => {
    const options = requestOptions({ maxAgeSeconds: 10, leewaySeconds: 0 })
    assert.equal(outcomeOf(withClaims({ iat: now - 10 }), options), 'ok')
    assert.equal(outcomeOf(withClaims({ iat: now - 11 }), options), 'iat: the iat claim is too old')
    assert.equal(outcomeOf(withClaims({ iat: now + 1 }), options), 'iat: the iat claim is in the future')
  })

  test('iat must be a number', () => {
    const detail = 'iat: the iat claim is missing or not a number'
    assert.equal(outcomeOf(withoutClaim('iat')), detail)
    assert.equal(outcomeOf(withClaims({ iat: String(now) })), detail)
    assert.equal(outcomeOf(rawProof(key, header, JSON.stringify(claims).replace(`${now}`, '1e400'))), detail)
  })
})

describe('verifyDpopProof: ath and cnf.jkt (resource server, RFC 9449 §7.1)', () => {
  test('with an access token, ath must be present and its hash', () => {
    const options = requestOptions({ accessToken })
    assert.equal(outcomeOf(honestProof(key, { accessToken }), options), 'ok')
    assert.equal(outcomeOf(honestProof(key), options), 'ath: the ath claim is missing or not a string')
    assert.equal(
      outcomeOf(honestProof(key, { accessToken: `${accessToken}x` }), options),
      'ath: the ath claim does not match the access token',
    )
  })

  test('without an access token (token endpoint), an ath is not looked at', () => {
    assert.equal(outcomeOf(withClaims({ ath: 'anything' })), 'ok')
  })

  test('expectedJkt must be the proof key thumbprint', () => {
    const jkt = computeJwkThumbprint(key.publicJwk)
    assert.equal(outcomeOf(honestProof(key), requestOptions({ expectedJkt: jkt })), 'ok')
    const otherJkt = computeJwkThumbprint(generateDpopTestKey('EdDSA').publicJwk)
    assert.equal(
      outcomeOf(honestProof(key), requestOptions({ expectedJkt: otherJkt })),
      'jkt: the proof key does not match the token cnf.jkt',
    )
  })
})

describe('verifyDpopProof: order and options', () => {
  test('the first broken rule is reported (typ before signature, htm before iat)', () => {
    const badTypAndKey = rawProof(generateDpopTestKey('EdDSA'), { ...header, typ: 'jwt' }, claims)
    assert.equal(outcomeOf(badTypAndKey), 'typ: the typ header is not dpop+jwt')
    assert.equal(
      outcomeOf(withClaims({ htm: 'PUT', iat: 0 })),
      'htm: the htm claim does not match the request method',
    )
  })

  test('unusable options throw a TypeError', () => {
    const proof = honestProof(key)
    assert.throws(() => verifyDpopProof(proof, requestOptions({ nowSeconds: Number.NaN })), TypeError)
    assert.throws(() => verifyDpopProof(proof, requestOptions({ maxAgeSeconds: -1 })), TypeError)
    assert.throws(() => verifyDpopProof(proof, requestOptions({ method: '' })), TypeError)
    assert.throws(() => verifyDpopProof(proof, requestOptions({ algorithms: [] })), TypeError)
    const hs = ['HS256'] as unknown as readonly ['EdDSA']
    assert.throws(() => verifyDpopProof(proof, requestOptions({ algorithms: hs })), TypeError)
  })

  test('a proof that is not a string is refused', () => {
    assert.equal(outcomeOf(undefined as unknown as string), 'syntax: the proof is not a string')
  })
})
