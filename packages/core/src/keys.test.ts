import assert from 'node:assert/strict'
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import type { AccessTokenAlgorithm } from './algorithms.ts'
import { TesseraError } from './errors.ts'
import { createSignature, isSignatureValid } from './jws-signature.ts'
import { exportPkcs8, generateSigningKey, importPkcs8, toVerificationKey } from './keys.ts'

function assertCode(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => error instanceof TesseraError && error.code === code)
}

describe('signing keys', () => {
  test('generates Ed25519 for EdDSA and P-256 for ES256', () => {
    const ed = generateSigningKey('EdDSA', 'k-ed')
    assert.equal(ed.key.type, 'private')
    assert.equal(ed.key.asymmetricKeyType, 'ed25519')
    assert.equal(ed.kid, 'k-ed')
    assert.equal(ed.alg, 'EdDSA')
    const ec = generateSigningKey('ES256', 'k-ec')
    assert.equal(ec.key.asymmetricKeyType, 'ec')
    assert.equal(ec.key.asymmetricKeyDetails?.namedCurve, 'prime256v1')
    assert.equal(Object.isFrozen(ec), true)
  })

  test('refuses algorithms access tokens do not use', () => {
    assertCode(() => generateSigningKey('RS256' as AccessTokenAlgorithm, 'k'), 'unsupported_alg')
  })

  test('derives a public verification key that checks the signing key’s signatures', () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const signingKey = generateSigningKey(alg, 'k')
      const verificationKey = toVerificationKey(signingKey)
      assert.equal(verificationKey.key.type, 'public')
      assert.equal(verificationKey.alg, alg)
      assert.equal(verificationKey.kid, 'k')
      const data = Buffer.from('signing input')
      const signature = createSignature(alg, signingKey.key, data)
      assert.equal(isSignatureValid(alg, verificationKey.key, data, signature), true)
    }
  })

  test('round-trips through PKCS#8 DER', () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const original = generateSigningKey(alg, 'k1')
      const restored = importPkcs8(exportPkcs8(original), alg, 'k1')
      assert.equal(restored.alg, alg)
      assert.equal(restored.kid, 'k1')
      assert.equal(restored.key.equals(original.key), true)
    }
  })

  test('refuses a PKCS#8 key of another type than the algorithm', () => {
    assertCode(
      () => importPkcs8(exportPkcs8(generateSigningKey('EdDSA', 'k')), 'ES256', 'k'),
      'unsupported_alg',
    )
    assertCode(
      () => importPkcs8(exportPkcs8(generateSigningKey('ES256', 'k')), 'EdDSA', 'k'),
      'unsupported_alg',
    )
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
      format: 'der',
      type: 'pkcs8',
    })
    assertCode(() => importPkcs8(p384, 'ES256', 'k'), 'unsupported_alg')
  })

  test('refuses bytes that are not PKCS#8', () => {
    assertCode(() => importPkcs8(Buffer.from('not a key'), 'EdDSA', 'k'), 'malformed')
    assertCode(() => importPkcs8(Buffer.alloc(0), 'EdDSA', 'k'), 'malformed')
  })

  test('keeps a secret key as its own verification key and exports nothing for it', () => {
    const signingKey = { kid: 'h', alg: 'HS256', key: createSecretKey(randomBytes(32)) } as const
    assert.equal(toVerificationKey(signingKey).key, signingKey.key)
    assertCode(() => exportPkcs8(signingKey), 'unsupported_alg')
  })
})
