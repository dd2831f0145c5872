import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { decodeBase64urlCanonical, encodeBase64url } from './base64url.ts'

describe('base64url', () => {
  test('encodes without padding in the URL alphabet', () => {
    assert.equal(encodeBase64url(new Uint8Array([0xfb, 0xff])), '-_8')
    assert.equal(encodeBase64url(new Uint8Array([])), '')
    assert.equal(encodeBase64url(Buffer.from('foo')), 'Zm9v')
    const view = new Uint8Array([0, 1, 2, 0x41, 0x42, 0x43, 9]).subarray(3, 6)
    assert.equal(encodeBase64url(view), 'QUJD')
  })

  test('round-trips every length from 0 to 70 bytes', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length)
      assert.deepEqual(decodeBase64urlCanonical(encodeBase64url(bytes)), bytes)
    }
  })

  test('decodes canonical text', () => {
    assert.deepEqual(decodeBase64urlCanonical('QQ'), Buffer.from('A'))
    assert.deepEqual(decodeBase64urlCanonical('QUI'), Buffer.from('AB'))
    assert.deepEqual(decodeBase64urlCanonical('-_8'), Buffer.from([0xfb, 0xff]))
    assert.deepEqual(decodeBase64urlCanonical(''), Buffer.alloc(0))
  })

  test('refuses every non-canonical spelling', () => {
    const refused = {
      padding: 'QQ==',
      'single padding': 'QUI=',
      'standard alphabet +': '+_8A',
      'standard alphabet /': '-/8A',
      space: 'QU JD',
      'leading space': ' QUJD',
      newline: 'QUJD\n',
      tab: 'QU\tJD',
      'length 1 mod 4': 'QUJDQ',
      'one character': 'Q',
      'unused bits set (2 leftover)': 'QR',
      'unused bits set (3 leftover)': 'QUJ',
      'non-ASCII letter': 'QUJé',
      'full-width letter': 'ＱＵＪＤ',
      dot: 'QU.D',
      NUL: 'QU\u0000D',
    }
    for (const [name, text] of Object.entries(refused)) {
      assert.equal(decodeBase64urlCanonical(text), undefined, name)
    }
  })

  test('accepts exactly one last character per value of the used bits', () => {
    // With 2 leftover characters, only every 16th letter (zero low 4 bits) may end the text.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const acceptedEndings = [...alphabet].filter((last) => decodeBase64urlCanonical(`Q${last}`) !== undefined)
    assert.deepEqual(acceptedEndings, ['A', 'Q', 'g', 'w'])
    const acceptedThirds = [...alphabet].filter((last) => decodeBase64urlCanonical(`QU${last}`) !== undefined)
    assert.equal(acceptedThirds.length, 16)
  })
})
