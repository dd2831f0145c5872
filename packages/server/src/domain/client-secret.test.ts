import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RandomSource } from '@tessera/core'
import { cryptoRandom } from '@tessera/core'
import {
  hashClientSecret,
  isClientSecretMatch,
  isClientSecretShaped,
  mintClientSecret,
} from './client-secret.ts'

const fixedRandom: RandomSource = { bytes: (length) => Buffer.alloc(length, 7) }

describe('client secrets', () => {
  test('tss_ + 43 base64url characters of 256 random bits', () => {
    const secret = mintClientSecret(fixedRandom)
    assert.equal(secret, `tss_${Buffer.alloc(32, 7).toString('base64url')}`)
    assert.match(mintClientSecret(cryptoRandom), /^tss_[A-Za-z0-9_-]{43}$/)
    assert.notEqual(mintClientSecret(cryptoRandom), mintClientSecret(cryptoRandom))
  })

  test('stored as lower-case hex SHA-256, never as the secret', () => {
    const secret = mintClientSecret(cryptoRandom)
    const hash = hashClientSecret(secret)
    assert.match(hash, /^[0-9a-f]{64}$/)
    assert.equal(hash.includes(secret), false)
  })

  test('matches only the exact secret', () => {
    const secret = mintClientSecret(cryptoRandom)
    const hash = hashClientSecret(secret)
    assert.equal(isClientSecretMatch(hash, secret), true)
    assert.equal(isClientSecretMatch(hash, `${secret}x`), false)
    assert.equal(isClientSecretMatch(hash, ''), false)
    assert.equal(isClientSecretMatch('short', secret), false)
  })

  test('shape check: prefix, length and canonical base64url', () => {
    assert.equal(isClientSecretShaped(mintClientSecret(cryptoRandom)), true)
    assert.equal(isClientSecretShaped(`tss_${'A'.repeat(42)}B`), false, 'non-canonical last character')
    assert.equal(isClientSecretShaped(`tsr_${'A'.repeat(43)}`), false)
    assert.equal(isClientSecretShaped(`tss_${'A'.repeat(44)}`), false)
    assert.equal(isClientSecretShaped(`tss_${'A'.repeat(42)}=`), false)
  })
})
