import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkPassword } from './password-policy.ts'

const bounds = { minLength: 8, maxLength: 1024 }

function prepared(input: unknown): string {
  const outcome = checkPassword(input, bounds)
  assert.ok(outcome.ok, 'expected the password to be accepted')
  return outcome.password
}

function rejected(input: unknown, custom = bounds): string {
  const outcome = checkPassword(input, custom)
  assert.ok(!outcome.ok, 'expected the password to be rejected')
  return outcome.message
}

describe('checkPassword prepares per RFC 8265 OpaqueString', () => {
  test('keeps case and surrounding spaces exactly', () => {
    assert.equal(prepared('  PassWord  '), '  PassWord  ')
  })

  test('NFD and NFC spellings prepare to the same string', () => {
    const nfd = prepared('cre\u0300me bru\u0302le\u0301e')
    assert.equal(nfd, 'cr\u00E8me br\u00FBl\u00E9e')
    assert.equal(prepared('cr\u00E8me br\u00FBl\u00E9e'), nfd)
  })

  test('does not apply compatibility folding (NFC, not NFKC)', () => {
    assert.equal(prepared('ｆｕｌｌｗｉｄｔｈ'), 'ｆｕｌｌｗｉｄｔｈ')
    assert.equal(prepared('\u212Aelvin-sign'), '\u212Aelvin-sign'.normalize('NFC'))
  })

  test('maps non-ASCII spaces to U+0020', () => {
    assert.equal(prepared('no\u00A0break\u3000ideo'), 'no break ideo')
  })

  test('allows emoji sequences with ZWJ', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'
    assert.equal(prepared(`${family}${family}x`), `${family}${family}x`)
  })
})

describe('checkPassword counts code points', () => {
  test('8 code points is enough, 7 is not', () => {
    prepared('12345678')
    assert.match(rejected('1234567'), /8 to 1024 characters/)
  })

  test('astral characters count once, not as two UTF-16 units', () => {
    // 7 emoji = 14 UTF-16 units but 7 code points.
    assert.match(rejected('\u{1F600}'.repeat(7)), /8 to 1024/)
    prepared('\u{1F600}'.repeat(8))
  })

  test('length is measured after NFC composition', () => {
    // 4 × (e + U+0301) is 8 code points before NFC, 4 after.
    assert.match(rejected('e\u0301'.repeat(4)), /8 to 1024/)
  })

  test('the upper bound is inclusive', () => {
    prepared('a'.repeat(1024))
    assert.match(rejected('a'.repeat(1025)), /8 to 1024/)
  })

  test('custom bounds are honoured and named', () => {
    assert.match(rejected('abcdefghijkl', { minLength: 4, maxLength: 10 }), /4 to 10 characters/)
  })

  test('megabytes of input are refused', () => {
    assert.match(rejected('a'.repeat(1_000_000)), /8 to 1024/)
  })
})

describe('checkPassword rejects', () => {
  test('anything but a string', () => {
    for (const value of [undefined, null, 12345678, ['password'], { toString: () => 'password123' }]) {
      assert.equal(rejected(value), 'password must be a string')
    }
  })

  test('control characters, including tab, newline, DEL and C1', () => {
    for (const control of ['\u0000', '\t', '\n', '\r', '\u007F', '\u0085']) {
      assert.match(rejected(`password${control}1`), /control characters/)
    }
  })

  test('an unpaired surrogate', () => {
    assert.match(rejected('password\uD800x'), /unpaired surrogates/)
    assert.match(rejected('password\uDC00x'), /unpaired surrogates/)
  })

  test('no message contains the password', () => {
    const marker = 'Unique-Marker-7391'
    for (const input of [marker.slice(0, 6), `${marker}\n`, `${marker}\uD800`, marker.repeat(100)]) {
      const message = rejected(input)
      assert.ok(!message.includes(marker.slice(0, 6)))
    }
  })
})
