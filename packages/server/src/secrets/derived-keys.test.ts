import assert from 'node:assert/strict'
import { hkdfSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { deriveServerKeys, serverKeyLabels } from './derived-keys.ts'

const secret = Buffer.from('a server secret of at least 32 bytes', 'utf8')
const keys = deriveServerKeys(secret)
const otherKeys = deriveServerKeys(Buffer.from('another server secret, also 32 bytes', 'utf8'))

describe('deriveServerKeys', () => {
  test('derives three distinct 32-byte keys with HKDF-SHA256 and versioned labels', () => {
    assert.deepEqual(
      [keys.keyEncryption.length, keys.refreshTokenTag.length, keys.refreshTokenRotation.length],
      [32, 32, 32],
    )
    assert.equal(
      new Set(
        [keys.keyEncryption, keys.refreshTokenTag, keys.refreshTokenRotation].map((key) =>
          key.toString('hex'),
        ),
      ).size,
      3,
    )
    const expected = Buffer.from(hkdfSync('sha256', secret, 'tessera', 'tessera key-encryption v1', 32))
    assert.deepEqual(keys.keyEncryption, expected)
    assert.equal(serverKeyLabels.refreshTokenRotation, 'tessera refresh-token-rotation v1')
  })

  test('is deterministic per secret and different across secrets', () => {
    const again = deriveServerKeys(Buffer.from(secret))
    assert.deepEqual(again.refreshTokenTag, keys.refreshTokenTag)
    assert.notDeepEqual(otherKeys.refreshTokenTag, keys.refreshTokenTag)
  })
})
