import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { cryptoRandom } from '@tessera/core'
import {
  deriveSuccessorToken,
  hashRefreshToken,
  mintRefreshToken,
  parseRefreshToken,
  type RefreshTokenKeys,
} from './refresh-token-format.ts'

const keys: RefreshTokenKeys = { tagKey: randomBytes(32), rotationKey: randomBytes(32) }
const otherKeys: RefreshTokenKeys = { tagKey: randomBytes(32), rotationKey: randomBytes(32) }

describe('refresh token format', () => {
  test('a minted token has the prefix, 64 base64url characters and parses back', () => {
    const token = mintRefreshToken(keys, cryptoRandom)
    assert.match(token.text, /^tsr_[A-Za-z0-9_-]{64}$/)
    const parsed = parseRefreshToken(token.text, keys)
    assert.ok(parsed)
    assert.deepEqual(parsed.randomBytes, token.randomBytes)
    assert.equal(token.randomBytes.length, 32, '256 bits from the CSPRNG')
  })

  test('garbage, truncation, a flipped character and another server’s token fail the in-memory check', () => {
    const token = mintRefreshToken(keys, cryptoRandom).text
    const flipped = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`
    const candidates: unknown[] = [
      undefined,
      42,
      '',
      'tsr_',
      token.slice(0, -1),
      `${token}A`,
      token.replace('tsr_', 'tsx_'),
      flipped,
      `tsr_${'A'.repeat(64)}`,
      `tsr_${token.slice(4, 67)}=`,
      mintRefreshToken(otherKeys, cryptoRandom).text,
    ]
    for (const candidate of candidates)
      assert.equal(parseRefreshToken(candidate, keys), undefined, String(candidate))
  })

  test('the successor is deterministic, valid, different from its parent, and depends on the rotation key', () => {
    const parent = mintRefreshToken(keys, cryptoRandom)
    const a = deriveSuccessorToken(parent, keys)
    const b = deriveSuccessorToken(parseRefreshToken(parent.text, keys)!, keys)
    assert.equal(a.text, b.text, 'everyone holding the parent computes the same successor')
    assert.notEqual(a.text, parent.text)
    assert.ok(parseRefreshToken(a.text, keys))
    const withOtherRotationKey = deriveSuccessorToken(parent, {
      tagKey: keys.tagKey,
      rotationKey: otherKeys.rotationKey,
    })
    assert.notEqual(withOtherRotationKey.text, a.text)
    assert.notEqual(deriveSuccessorToken(a, keys).text, a.text, 'chains do not cycle at once')
  })

  test('the stored form is the hex SHA-256 of the text', () => {
    assert.equal(
      hashRefreshToken('tsr_x'),
      '433801c23a1227c430a663b336af0ff21a61c46070d3777d3308e7879b8c0447',
    )
    assert.notEqual(hashRefreshToken('tsr_x'), hashRefreshToken('tsr_y'))
  })
})
