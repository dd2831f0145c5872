import assert from 'node:assert/strict'
import { createSecretKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { describe, test } from 'node:test'
import type { JwsAlgorithm } from './algorithms.ts'
import { encodeBase64url } from './base64url.ts'
import { TesseraError } from './errors.ts'
import { signJws } from './jws-sign.ts'
import { isSignatureValid } from './jws-signature.ts'
import { verifyJws } from './jws-verify.ts'
import { generateSigningKey, type SigningKey, toVerificationKey, type VerificationKey } from './keys.ts'
import { replaceSegment, signRawJws } from './test-support/sign-raw-jws.ts'

function assertCode(run: () => unknown, code: string, label?: string): void {
  assert.throws(run, (error: unknown) => error instanceof TesseraError && error.code === code, label)
}

function signingKeyFor(alg: JwsAlgorithm): SigningKey {
  if (alg === 'EdDSA' || alg === 'ES256') return generateSigningKey(alg, `k-${alg}`)
  if (alg.startsWith('HS')) return { kid: `k-${alg}`, alg, key: createSecretKey(randomBytes(64)) }
  if (alg.startsWith('ES')) {
    const namedCurve = alg === 'ES384' ? 'P-384' : 'P-521'
    return { kid: `k-${alg}`, alg, key: generateKeyPairSync('ec', { namedCurve }).privateKey }
  }
  return { kid: `k-${alg}`, alg, key: rsaPrivateKey }
}

const rsaPrivateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
const allAlgorithms: readonly JwsAlgorithm[] = [
  ...['EdDSA', 'ES256', 'ES384', 'ES512'],
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'HS256', 'HS384', 'HS512'],
] as JwsAlgorithm[]
const expectedSignatureBytes: Record<JwsAlgorithm, number> = {
  ...{ EdDSA: 64, ES256: 64, ES384: 96, ES512: 132 },
  ...{
    RS256: 256,
    RS384: 256,
    RS512: 256,
    PS256: 256,
    PS384: 256,
    PS512: 256,
    HS256: 32,
    HS384: 48,
    HS512: 64,
  },
}

const edKey = generateSigningKey('EdDSA', 'k1')
const edVerification = toVerificationKey(edKey)
const resolveEd = (): VerificationKey => edVerification

describe('signJws and verifyJws', () => {
  test('round-trip every algorithm with the exact signature length', () => {
    for (const alg of allAlgorithms) {
      const signingKey = signingKeyFor(alg)
      const token = signJws({ typ: 'JWT' }, Buffer.from('{"a":1}'), signingKey)
      const verified = verifyJws(token, () => toVerificationKey(signingKey))
      assert.deepEqual({ ...verified.header }, { alg, typ: 'JWT', kid: signingKey.kid }, alg)
      assert.equal(verified.signature.length, expectedSignatureBytes[alg], alg)
      assert.deepEqual(verified.payload, Buffer.from('{"a":1}'))
    }
  })

  test('signJws puts alg and kid from the key, typ only when given', () => {
    const token = signJws({}, Buffer.from('x'), edKey)
    const header = Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()
    assert.equal(header, '{"alg":"EdDSA","kid":"k1"}')
  })

  test('hands the parsed header to the resolver and refuses when it finds no key', () => {
    const token = signJws({}, Buffer.from('x'), edKey)
    let seenKid: string | undefined
    assertCode(
      () =>
        verifyJws(token, (header) => {
          seenKid = header.kid
          return undefined
        }),
      'unknown_key',
    )
    assert.equal(seenKid, 'k1')
  })

  test('refuses a header alg other than the key’s own, even when the signature would verify', () => {
    const hmacKey: SigningKey = { kid: 'k1', alg: 'HS256', key: createSecretKey(randomBytes(32)) }
    const hs256Token = signJws({}, Buffer.from('x'), hmacKey)
    // The key says HS512, the token says HS256: same secret, still refused.
    assertCode(
      () => verifyJws(hs256Token, () => ({ kid: 'k1', alg: 'HS512', key: hmacKey.key })),
      'unsupported_alg',
    )
    // Classic key confusion: an HMAC token "signed" with the public key bytes of an EdDSA key.
    const publicBytes = edVerification.key.export({ format: 'der', type: 'spki' })
    const forged = signRawJws('{"alg":"HS256","kid":"k1"}', 'x', {
      kid: 'k1',
      alg: 'HS256',
      key: createSecretKey(publicBytes),
    })
    assertCode(() => verifyJws(forged, resolveEd), 'unsupported_alg')
    const es256 = signJws({}, Buffer.from('x'), generateSigningKey('ES256', 'k1'))
    assertCode(() => verifyJws(es256, resolveEd), 'unsupported_alg')
  })

  test('refuses a signature of the wrong length before verifying it', () => {
    const token = signJws({}, Buffer.from('x'), edKey)
    const signature = Buffer.from(token.split('.')[2] ?? '', 'base64url')
    const variants = {
      truncated: signature.subarray(0, 63),
      'zero appended': Buffer.concat([signature, Buffer.alloc(1)]),
      'zero prepended': Buffer.concat([Buffer.alloc(1), signature]),
      doubled: Buffer.concat([signature, signature]),
    }
    for (const [name, bytes] of Object.entries(variants)) {
      assertCode(
        () => verifyJws(replaceSegment(token, 2, encodeBase64url(bytes)), resolveEd),
        'bad_signature',
        name,
      )
    }
  })

  test('refuses a DER-encoded ECDSA signature (RFC 7518 §3.4 demands r‖s)', () => {
    const ecKey = generateSigningKey('ES256', 'k1')
    const token = signJws({}, Buffer.from('x'), ecKey)
    const [header, payload] = token.split('.') as [string, string]
    const der = sign('sha256', Buffer.from(`${header}.${payload}`), ecKey.key)
    assertCode(
      () => verifyJws(`${header}.${payload}.${encodeBase64url(der)}`, () => toVerificationKey(ecKey)),
      'bad_signature',
    )
  })

  test('refuses a modified header, payload or signature', () => {
    const token = signJws({ typ: 'JWT' }, Buffer.from('{"a":1}'), edKey)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const otherHeader = encodeBase64url(Buffer.from('{"alg":"EdDSA","typ":"JWS","kid":"k1"}'))
    assertCode(
      () => verifyJws(`${otherHeader}.${payload}.${signature}`, resolveEd),
      'bad_signature',
      'header',
    )
    const otherPayload = encodeBase64url(Buffer.from('{"a":2}'))
    assertCode(
      () => verifyJws(`${header}.${otherPayload}.${signature}`, resolveEd),
      'bad_signature',
      'payload',
    )
    const flipped = Buffer.from(signature, 'base64url')
    flipped[10] = (flipped[10] ?? 0) ^ 1
    assertCode(
      () => verifyJws(replaceSegment(token, 2, encodeBase64url(flipped)), resolveEd),
      'bad_signature',
    )
    const otherKey = toVerificationKey(generateSigningKey('EdDSA', 'k1'))
    assertCode(() => verifyJws(token, () => otherKey), 'bad_signature', 'another key with the same kid')
  })

  test('refuses when the key object cannot verify its declared algorithm', () => {
    const token = signJws({}, Buffer.from('x'), edKey)
    const ecPublic = toVerificationKey(generateSigningKey('ES256', 'k1')).key
    assertCode(() => verifyJws(token, () => ({ kid: 'k1', alg: 'EdDSA', key: ecPublic })), 'bad_signature')
    // A private key is not a verification key.
    assertCode(() => verifyJws(token, () => ({ kid: 'k1', alg: 'EdDSA', key: edKey.key })), 'bad_signature')
  })
})

describe('isSignatureValid', () => {
  test('refuses keys unfit for the algorithm instead of throwing', () => {
    const data = Buffer.from('data')
    const signature = Buffer.alloc(64)
    const shortSecret = createSecretKey(randomBytes(16))
    assert.equal(isSignatureValid('HS256', shortSecret, data, Buffer.alloc(32)), false)
    assert.equal(isSignatureValid('HS256', edVerification.key, data, Buffer.alloc(32)), false)
    assert.equal(isSignatureValid('ES256', edVerification.key, data, signature), false)
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    assert.equal(isSignatureValid('RS256', weakRsa, data, Buffer.alloc(128)), false)
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
    assert.equal(isSignatureValid('ES256', p384, data, signature), false)
  })
})
