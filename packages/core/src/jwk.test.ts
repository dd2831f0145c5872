import assert from 'node:assert/strict'
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { describe, test } from 'node:test'
import { TesseraError } from './errors.ts'
import { computeJwkThumbprint, exportPublicJwk } from './jwk-export.ts'
import { importVerificationJwk } from './jwk-import.ts'
import { generateSigningKey, toVerificationKey } from './keys.ts'

function assertCode(run: () => unknown, code: string, label?: string): void {
  assert.throws(run, (error: unknown) => error instanceof TesseraError && error.code === code, label)
}

function jwkOf(keyType: 'ed25519' | 'P-256' | 'P-384' | 'P-521' | 'rsa2048' | 'rsa1024'): JsonWebKey {
  const pair =
    keyType === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : keyType.startsWith('rsa')
        ? generateKeyPairSync('rsa', { modulusLength: keyType === 'rsa2048' ? 2048 : 1024 })
        : generateKeyPairSync('ec', { namedCurve: keyType })
  return pair.publicKey.export({ format: 'jwk' })
}

const ed25519 = jwkOf('ed25519')
const p256 = jwkOf('P-256')
const rsa2048 = jwkOf('rsa2048')
const hmacKey = { kty: 'oct', alg: 'HS256', k: Buffer.alloc(32, 7).toString('base64url') }

describe('exportPublicJwk', () => {
  test('publishes only the public members, with kid, alg and use', () => {
    const ed = exportPublicJwk(generateSigningKey('EdDSA', 'k-ed'))
    assert.deepEqual(Object.keys(ed), ['kty', 'crv', 'x', 'kid', 'alg', 'use'])
    assert.equal(ed.kty, 'OKP')
    assert.equal(ed.crv, 'Ed25519')
    assert.equal(ed.kid, 'k-ed')
    assert.equal(ed.alg, 'EdDSA')
    assert.equal(ed.use, 'sig')
    const ec = exportPublicJwk(toVerificationKey(generateSigningKey('ES256', 'k-ec')))
    assert.deepEqual(Object.keys(ec), ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'])
    assert.equal(ec.crv, 'P-256')
    for (const jwk of [ed, ec])
      assert.equal(
        ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in jwk),
        false,
      )
  })

  test('round-trips through importVerificationJwk to the same key', () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const signingKey = generateSigningKey(alg, 'k1')
      const imported = importVerificationJwk(exportPublicJwk(signingKey))
      assert.equal(imported.alg, alg)
      assert.equal(imported.kid, 'k1')
      assert.equal(imported.key.equals(toVerificationKey(signingKey).key), true)
    }
  })

  test('names a key without kid by its RFC 7638 thumbprint', () => {
    const imported = importVerificationJwk(ed25519)
    assert.equal(imported.kid, undefined)
    const exported = exportPublicJwk(imported)
    assert.equal(exported.kid, computeJwkThumbprint(exported))
  })

  test('refuses symmetric keys', () => {
    assertCode(
      () => exportPublicJwk(importVerificationJwk(hmacKey, { allowSymmetric: true })),
      'unsupported_alg',
    )
  })
})

describe('computeJwkThumbprint', () => {
  test('matches RFC 8037 §A.3 (Ed25519) and RFC 7638 §3.1 (RSA)', () => {
    const okp = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const
    assert.equal(computeJwkThumbprint(okp), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
    const rsa = {
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    } as const
    assert.equal(computeJwkThumbprint(rsa), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  test('refuses a JWK that lacks a required member', () => {
    assertCode(() => computeJwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AA' }), 'malformed')
  })
})

describe('importVerificationJwk', () => {
  test('infers the algorithm from the curve for OKP and EC', () => {
    assert.equal(importVerificationJwk(ed25519).alg, 'EdDSA')
    assert.equal(importVerificationJwk(p256).alg, 'ES256')
    assert.equal(importVerificationJwk(jwkOf('P-384')).alg, 'ES384')
    assert.equal(importVerificationJwk(jwkOf('P-521')).alg, 'ES512')
    assert.equal(importVerificationJwk({ ...p256, alg: 'ES256', kid: 'x', use: 'sig' }).kid, 'x')
  })

  test('accepts RSA with an explicit RS*/PS* alg and oct only when allowed', () => {
    assert.equal(importVerificationJwk({ ...rsa2048, alg: 'RS256' }).alg, 'RS256')
    assert.equal(importVerificationJwk({ ...rsa2048, alg: 'PS512' }).alg, 'PS512')
    assert.equal(importVerificationJwk(hmacKey, { allowSymmetric: true }).key.type, 'secret')
  })

  test('ignores unknown extra members and accepts key_ops with verify', () => {
    const key = importVerificationJwk({ ...ed25519, x5t: 'abc', ext: true, key_ops: ['verify'] })
    assert.equal(key.alg, 'EdDSA')
  })

  test('refuses structural faults as malformed', () => {
    const cases: Record<string, unknown> = {
      null: null,
      array: [ed25519],
      string: 'key',
      'no kty': { crv: 'Ed25519', x: ed25519.x },
      'kty not a string': { ...ed25519, kty: 1 },
      'kid not a string': { ...ed25519, kid: 7 },
      'no crv': { kty: 'OKP', x: ed25519.x },
      'no x': { kty: 'OKP', crv: 'Ed25519' },
      'x not canonical': { ...ed25519, x: `${ed25519.x}=` },
      'x with whitespace': { ...ed25519, x: ` ${ed25519.x}` },
      'x too short': { ...ed25519, x: Buffer.alloc(31).toString('base64url') },
      'EC y missing': { kty: 'EC', crv: 'P-256', x: p256.x },
      'EC y wrong length': { ...p256, y: Buffer.alloc(33, 1).toString('base64url') },
      'EC point not on the curve': { ...p256, y: Buffer.alloc(32, 1).toString('base64url') },
      'RSA n missing': { kty: 'RSA', alg: 'RS256', e: 'AQAB' },
      'RSA n not base64url': { ...rsa2048, alg: 'RS256', n: 'not base64!' },
      'oct k empty': { kty: 'oct', alg: 'HS256', k: '' },
      'key_ops not an array': { ...ed25519, key_ops: 'verify' },
      'key_ops with non-strings': { ...ed25519, key_ops: ['verify', 1] },
      'key_ops with duplicates': { ...ed25519, key_ops: ['verify', 'verify'] },
    }
    for (const [name, jwk] of Object.entries(cases)) {
      assertCode(() => importVerificationJwk(jwk, { allowSymmetric: true }), 'malformed', name)
    }
  })

  test('refuses private members on an asymmetric key', () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    assertCode(
      () => importVerificationJwk(privateKey.export({ format: 'jwk' })),
      'malformed',
      'full private JWK',
    )
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) {
      assertCode(() => importVerificationJwk({ ...p256, [member]: 'AQAB' }), 'malformed', member)
      assertCode(
        () => importVerificationJwk({ ...rsa2048, alg: 'RS256', [member]: 'AQAB' }),
        'malformed',
        member,
      )
    }
  })

  test('refuses well-formed keys that are unusable here as unsupported_alg', () => {
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })
    const cases: Record<string, unknown> = {
      'unknown kty': { kty: 'AKP', alg: 'ML-DSA-44' },
      'X25519 (not a signing curve)': x25519,
      Ed448: { kty: 'OKP', crv: 'Ed448', x: Buffer.alloc(57).toString('base64url') },
      secp256k1: { ...p256, crv: 'secp256k1' },
      'EC with the alg of another curve': { ...p256, alg: 'ES384' },
      'OKP with an EC alg': { ...ed25519, alg: 'ES256' },
      'EC with EdDSA': { ...p256, alg: 'EdDSA' },
      'unknown alg': { ...p256, alg: 'ES256K' },
      'alg none': { ...p256, alg: 'none' },
      'alg in the wrong case': { ...p256, alg: 'es256' },
      'use enc': { ...p256, use: 'enc' },
      'key_ops without verify': { ...p256, key_ops: ['sign'] },
      'RSA without alg': rsa2048,
      'RSA with an EC alg': { ...rsa2048, alg: 'ES256' },
      'RSA with an HMAC alg': { ...rsa2048, alg: 'HS256' },
      'RSA below 2048 bits': { ...jwkOf('rsa1024'), alg: 'RS256' },
      'oct without allowSymmetric': hmacKey,
    }
    for (const [name, jwk] of Object.entries(cases)) {
      assertCode(() => importVerificationJwk(jwk), 'unsupported_alg', name)
    }
    const symmetric: Record<string, unknown> = {
      'oct without alg': { kty: 'oct', k: hmacKey.k },
      'oct with an asymmetric alg': { ...hmacKey, alg: 'RS256' },
      'HMAC key shorter than the digest': { ...hmacKey, alg: 'HS512' },
    }
    for (const [name, jwk] of Object.entries(symmetric)) {
      assertCode(() => importVerificationJwk(jwk, { allowSymmetric: true }), 'unsupported_alg', name)
    }
  })

  test('error messages never contain key material', () => {
    try {
      importVerificationJwk({ ...p256, y: Buffer.alloc(32, 1).toString('base64url') })
      assert.fail('expected a refusal')
    } catch (error) {
      assert.ok(error instanceof TesseraError)
      assert.equal(error.message.includes(String(p256.x)), false)
      assert.ok(error.cause !== undefined)
    }
  })
})
