import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { deriveServerKeys } from './derived-keys.ts'
import { decryptPrivateKey, encryptPrivateKey, KeyDecryptionError } from './key-encryption.ts'

const keys = deriveServerKeys(Buffer.from('a server secret of at least 32 bytes', 'utf8'))
const otherKeys = deriveServerKeys(Buffer.from('another server secret, also 32 bytes', 'utf8'))
const pkcs8 = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' })
const kid = 'k_2025-01-01_abc'

function rejectsWith(failure: KeyDecryptionError['failure'], run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KeyDecryptionError)
    assert.equal(error.code, 'key_decryption_failed')
    assert.equal(error.failure, failure)
    assert.ok(!error.message.includes(pkcs8.toString('base64url')))
    assert.ok(!error.message.includes(keys.keyEncryption.toString('hex')))
    return true
  })
}

describe('encryptPrivateKey and decryptPrivateKey', () => {
  test('round-trip a PKCS#8 key in the v1 format with a fresh IV each time', () => {
    const stored = encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption })
    assert.match(stored, /^v1\.[A-Za-z0-9_-]+$/)
    assert.equal(Buffer.from(stored.slice(3), 'base64url').length, 12 + 16 + pkcs8.length)
    assert.deepEqual(decryptPrivateKey(stored, { kid, key: keys.keyEncryption }), pkcs8)
    assert.notEqual(encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption }), stored)
  })

  test('uses the injected randomness for the IV', () => {
    const stored = encryptPrivateKey(pkcs8, {
      kid,
      key: keys.keyEncryption,
      randomBytes: (size) => Buffer.alloc(size, 9),
    })
    assert.deepEqual(Buffer.from(stored.slice(3), 'base64url').subarray(0, 12), Buffer.alloc(12, 9))
  })

  test('a changed secret fails and the message says so', () => {
    const stored = encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption })
    rejectsWith('authentication_failed', () =>
      decryptPrivateKey(stored, { kid, key: otherKeys.keyEncryption }),
    )
    assert.throws(
      () => decryptPrivateKey(stored, { kid, key: otherKeys.keyEncryption }),
      /secret .* has probably changed/,
    )
  })

  test('a ciphertext moved to another kid fails', () => {
    const stored = encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption })
    rejectsWith('authentication_failed', () =>
      decryptPrivateKey(stored, { kid: 'k_other', key: keys.keyEncryption }),
    )
  })

  test('any flipped byte of IV, tag or ciphertext fails', () => {
    const stored = encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption })
    const bytes = Buffer.from(stored.slice(3), 'base64url')
    for (const index of [0, 11, 12, 27, 28, bytes.length - 1]) {
      const tampered = Buffer.from(bytes)
      tampered[index] = (tampered[index] ?? 0) ^ 0x01
      rejectsWith('authentication_failed', () =>
        decryptPrivateKey(`v1.${tampered.toString('base64url')}`, { kid, key: keys.keyEncryption }),
      )
    }
  })

  test('an unknown version or a malformed body is told apart from a wrong secret', () => {
    const stored = encryptPrivateKey(pkcs8, { kid, key: keys.keyEncryption })
    rejectsWith('unsupported_version', () =>
      decryptPrivateKey(`v2.${stored.slice(3)}`, { kid, key: keys.keyEncryption }),
    )
    rejectsWith('unsupported_version', () =>
      decryptPrivateKey(stored.slice(3), { kid, key: keys.keyEncryption }),
    )
    rejectsWith('malformed', () => decryptPrivateKey(`${stored}=`, { kid, key: keys.keyEncryption }))
    rejectsWith('malformed', () =>
      decryptPrivateKey(`${stored.slice(0, 10)} ${stored.slice(10)}`, { kid, key: keys.keyEncryption }),
    )
    rejectsWith('malformed', () =>
      decryptPrivateKey(`v1.${Buffer.alloc(28).toString('base64url')}`, { kid, key: keys.keyEncryption }),
    )
  })

  test('refuses a key-encryption key that is not 32 bytes', () => {
    assert.throws(() => encryptPrivateKey(pkcs8, { kid, key: Buffer.alloc(16) }), RangeError)
    assert.throws(() => decryptPrivateKey('v1.AAAA', { kid, key: Buffer.alloc(31) }), RangeError)
  })
})
