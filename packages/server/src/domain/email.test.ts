import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { normalizeEmail } from './email.ts'

function accepted(input: string): string {
  const outcome = normalizeEmail(input)
  assert.ok(outcome.ok, `expected ${JSON.stringify(input)} to be accepted`)
  return outcome.email
}

function rejected(input: string): string {
  const outcome = normalizeEmail(input)
  assert.ok(!outcome.ok, `expected ${JSON.stringify(input)} to be rejected`)
  return outcome.message
}

describe('normalizeEmail folds spellings of one address to one key', () => {
  test('mixed case and ASCII whitespace at the ends', () => {
    assert.equal(accepted('  Alice.Smith@Example.COM\t\n'), 'alice.smith@example.com')
  })

  test('fullwidth letters and fullwidth @ fold to ASCII', () => {
    assert.equal(accepted('ＡＬＩＣＥ＠ｅｘａｍｐｌｅ．ｃｏｍ'), 'alice@example.com')
  })

  test('the Kelvin sign U+212A folds to k', () => {
    assert.equal(accepted('\u212Aate@example.com'), 'kate@example.com')
  })

  test('NFC and NFD spellings give the same key', () => {
    const nfc = accepted('Jos\u00E9@example.com')
    const nfd = accepted('Jose\u0301@example.com')
    assert.equal(nfc, 'jos\u00E9@example.com')
    assert.equal(nfd, nfc)
    assert.equal(accepted('JOSE\u0301@EXAMPLE.COM'), nfc)
  })

  test('an internationalised domain is stored in punycode, whatever its spelling', () => {
    assert.equal(accepted('joe@Bücher.de'), 'joe@xn--bcher-kva.de')
    assert.equal(accepted('joe@bu\u0308cher.de'), 'joe@xn--bcher-kva.de')
    assert.equal(accepted('joe@xn--bcher-kva.de'), 'joe@xn--bcher-kva.de')
    assert.equal(accepted('joe@例え。テスト'), 'joe@xn--r8jz45g.xn--zckzah')
  })

  test('non-ASCII letters and marks on non-ASCII bases are allowed in the local part (RFC 6531)', () => {
    assert.equal(accepted('Ünïcode@example.com'), 'ünïcode@example.com')
    assert.equal(accepted('हिन्दी@example.com'), 'हिन्दी@example.com')
  })

  test('ASCII atext specials survive', () => {
    assert.equal(accepted("o'Brien+tag_x{1}@example.com"), "o'brien+tag_x{1}@example.com")
  })
})

describe('normalizeEmail and the Turkish i', () => {
  test('dotless ı stays distinct from i', () => {
    assert.equal(accepted('\u0131van@example.com'), '\u0131van@example.com')
    assert.notEqual(accepted('\u0131van@example.com'), accepted('ivan@example.com'))
  })

  test('capital dotted İ lower-cases to i + U+0307, a homograph of i, and is rejected', () => {
    assert.match(rejected('\u0130van@example.com'), /combining mark/)
    assert.match(rejected('i\u0307van@example.com'), /combining mark/)
  })

  test('a combining mark at the start of the local part is rejected', () => {
    assert.match(rejected('\u0301abc@example.com'), /combining mark/)
  })
})

describe('normalizeEmail rejects malformed addresses', () => {
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['empty', '   ', /empty/],
    ['no @', 'alice.example.com', /exactly one @/],
    ['two @', 'a@b@example.com', /exactly one @/],
    ['empty local part', '@example.com', /before the @/],
    ['empty domain', 'alice@', /domain/],
    ['domain without a dot', 'alice@localhost', /dot/],
    ['empty domain label', 'alice@example..com', /empty labels/],
    ['trailing dot in domain', 'alice@example.com.', /empty labels/],
    ['leading dot in local part', '.alice@example.com', /start or end with a dot/],
    ['trailing dot in local part', 'alice.@example.com', /start or end with a dot/],
    ['two dots in a row', 'al..ice@example.com', /two dots/],
    ['inner space', 'al ice@example.com', /whitespace/],
    ['inner ideographic space', 'al\u3000ice@example.com', /whitespace/],
    ['inner no-break space', 'al\u00A0ice@example.com', /whitespace/],
    ['NUL', 'al\u0000ice@example.com', /control/],
    ['newline inside', 'alice@exa\nmple.com', /control/],
    ['C1 control', 'al\u0085ice@example.com', /control/],
    ['right-to-left override', 'al\u202Eice@example.com', /control or invisible/],
    ['zero-width space', 'al\u200Bice@example.com', /control or invisible/],
    ['lone surrogate', 'al\uD800ice@example.com', /control or invisible/],
    ['quoted local part', '"alice"@example.com', /not allowed/],
    ['backslash', 'al\\ice@example.com', /not allowed/],
    ['underscore in domain', 'alice@ex_ample.com', /valid domain/],
    ['hyphen at label start', 'alice@-example.com', /valid domain/],
    ['IPv4 literal domain', 'alice@192.168.0.1', /valid domain/],
    ['bracketed address literal', 'alice@[192.168.0.1]', /valid domain/],
    ['invalid punycode', 'alice@xn--a.com', /valid domain/],
  ]
  for (const [name, input, message] of cases) {
    test(name, () => {
      assert.match(rejected(input), message)
    })
  }

  test('local part over 64 octets', () => {
    accepted(`${'a'.repeat(64)}@example.com`)
    assert.match(rejected(`${'a'.repeat(65)}@example.com`), /64 bytes/)
    // 22 × 3-octet characters = 66 octets: SMTP counts octets, not characters.
    assert.match(rejected(`${'\u0905'.repeat(22)}@example.com`), /64 bytes/)
  })

  test('address over 254 octets after normalisation', () => {
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com`
    const fits = `${'a'.repeat(254 - domain.length - 1)}@${domain}`
    assert.equal(accepted(fits).length, 254)
    assert.match(rejected(`a${fits}`), /254 bytes/)
  })

  test('domain label over 63 octets', () => {
    assert.match(rejected(`alice@${'d'.repeat(64)}.com`), /valid domain/)
  })

  test('huge input is rejected before normalisation', () => {
    assert.match(rejected(`${'a'.repeat(100_000)}@example.com`), /254 bytes/)
  })

  test('no rejection message echoes the input', () => {
    const secretish = 'Zq9-unique-marker'
    for (const input of [`${secretish}`, `${secretish}@@x.com`, `${secretish} x@example.com`]) {
      assert.ok(!rejected(input).includes(secretish.toLowerCase()))
      assert.ok(!rejected(input).includes(secretish))
    }
  })
})
