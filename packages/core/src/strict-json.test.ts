import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { TesseraError } from './errors.ts'
import { parseStrictJson, parseStrictJsonBytes } from './strict-json.ts'

function assertMalformed(run: () => unknown, label: string): void {
  assert.throws(run, (error: unknown) => error instanceof TesseraError && error.code === 'malformed', label)
}

// Objects come back with a null prototype; compare their JSON form with JSON.parse's result.
function assertSameAsJsonParse(text: string): void {
  assert.equal(JSON.stringify(parseStrictJson(text)), JSON.stringify(JSON.parse(text)), text)
}

describe('parseStrictJson', () => {
  test('reads every RFC 8259 value like JSON.parse', () => {
    const texts = [
      '{}',
      '[]',
      '"plain"',
      '0',
      '-0',
      '1',
      '-12',
      '3.25',
      '1e3',
      '1E-3',
      '2.5e+10',
      '123456789012345',
      '1234567890123456789',
      '9007199254740993',
      '0.1',
      'true',
      'false',
      'null',
      ' \t\r\n{ "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d" } \n',
      '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\ud83d\\ude00"',
      '"raw é 😀 中"',
      '{"":1}',
      '[[[]]]',
    ]
    for (const text of texts) assertSameAsJsonParse(text)
    assert.ok(Object.is(parseStrictJson('-0'), -0))
  })

  test('reads numbers exactly as JSON.parse, including overflow to Infinity', () => {
    assert.equal(parseStrictJson('1e400'), Number.POSITIVE_INFINITY)
    assert.equal(parseStrictJson('-1e400'), Number.NEGATIVE_INFINITY)
    assert.equal(parseStrictJson('999999999999999'), 999999999999999)
    assert.equal(parseStrictJson('-999999999999999'), -999999999999999)
    assert.equal(parseStrictJson('12345678901234567890'), Number('12345678901234567890'))
  })

  test('builds null-prototype objects in which __proto__ is an ordinary member', () => {
    const value = parseStrictJson('{"__proto__":{"isAdmin":true},"constructor":1}')
    assert.equal(typeof value, 'object')
    assert.equal(Object.getPrototypeOf(value), null)
    const object = value as Record<string, unknown>
    assert.deepEqual(Object.keys(object), ['__proto__', 'constructor'])
    assert.equal(Reflect.get({}, 'isAdmin'), undefined)
    const member: unknown = Object.getOwnPropertyDescriptor(object, '__proto__')?.value
    assert.deepEqual({ ...(member as object) }, { isAdmin: true })
    assert.equal(Object.getPrototypeOf(member), null)
  })

  test('refuses duplicate member names, however they are spelled', () => {
    assertMalformed(() => parseStrictJson('{"exp":1,"exp":2}'), 'plain duplicate')
    assertMalformed(() => parseStrictJson('{"exp":1,"\\u0065xp":2}'), 'escaped duplicate')
    assertMalformed(() => parseStrictJson('{"a":{"b":1,"b":1}}'), 'nested duplicate')
    assertMalformed(() => parseStrictJson('{"__proto__":1,"__proto__":2}'), '__proto__ duplicate')
    assertMalformed(() => parseStrictJson('{"a":null,"a":null}'), 'null-valued duplicate')
    assert.deepEqual(Object.keys(parseStrictJson('[{"a":1},{"a":2}]') as object), ['0', '1'])
  })

  test('bounds nesting depth (default 16)', () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
    assert.doesNotThrow(() => parseStrictJson(nested(16)))
    assertMalformed(() => parseStrictJson(nested(17)), 'depth 17')
    assertMalformed(() => parseStrictJson('{"a":{"b":{}}}', { maxDepth: 2 }), 'objects count too')
    assert.doesNotThrow(() => parseStrictJson('{"a":{"b":1}}', { maxDepth: 2 }))
    assertMalformed(() => parseStrictJson('{"a":[]}', { maxDepth: 1 }), 'depth 1 admits no nesting')
    assertMalformed(() => parseStrictJson(nested(100_000)), 'deep input neither recurses nor overflows')
    assert.doesNotThrow(() => parseStrictJson(nested(1000), { maxDepth: 1000 }))
    for (const maxDepth of [0, 1001, 1.5, Number.NaN]) {
      assert.throws(() => parseStrictJson('{}', { maxDepth }), RangeError, String(maxDepth))
    }
  })

  test('refuses unpaired surrogates, escaped or raw (RFC 7493 §2.1)', () => {
    for (const text of [
      '"\\ud800"',
      '"\\udc00"',
      '"\\ud800x"',
      '"\\ud800\\u0041"',
      '"\\ude00\\ud83d"',
      '"\ud800"',
    ]) {
      assertMalformed(() => parseStrictJson(text), text)
    }
    assertMalformed(() => parseStrictJson('{"\\udfff":1}'), 'in a member name')
    assert.equal(parseStrictJson('"\\ud83d\\ude00"'), '😀')
    assert.equal(parseStrictJson('"\\ud83d\ude00"'), '😀')
  })

  test('refuses everything outside the grammar', () => {
    const refused = [
      '',
      ' ',
      '{',
      '}',
      '{"a":1,}',
      '[1,]',
      '[,1]',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '{"a":1}{}',
      '{"a":1} x',
      '01',
      '-',
      '+1',
      '.5',
      '1.',
      '1e',
      '1e+',
      '0x10',
      'NaN',
      'Infinity',
      'tru',
      'True',
      'nul',
      '"unterminated',
      '"tab\tinside"',
      '"newline\ninside"',
      '"\\x41"',
      '"\\u12"',
      '"\\u12G4"',
      '"\\\'"',
      '\u00a0{}',
      '\f{}',
      '\ufeff{}',
      '{"a":1}\u0000',
      '/* c */{}',
    ]
    for (const text of refused) assertMalformed(() => parseStrictJson(text), JSON.stringify(text))
  })

  test('error messages name an offset, never the content', () => {
    try {
      parseStrictJson('{"secret-value":1,"secret-value":2}')
      assert.fail('expected a refusal')
    } catch (error) {
      assert.ok(error instanceof TesseraError)
      assert.doesNotMatch(error.message, /secret/)
      assert.match(error.message, /offset \d+/)
    }
  })
})

describe('parseStrictJsonBytes', () => {
  test('decodes UTF-8 then parses', () => {
    assert.deepEqual({ ...(parseStrictJsonBytes(Buffer.from('{"n":"é😀"}')) as object) }, { n: 'é😀' })
  })

  test('refuses bytes that are not UTF-8 instead of replacing them', () => {
    const invalid = {
      'lone continuation byte': [0x22, 0x80, 0x22],
      'truncated sequence': [0x22, 0xc3, 0x22],
      'overlong slash': [0x22, 0xc0, 0xaf, 0x22],
      'encoded surrogate': [0x22, 0xed, 0xa0, 0x80, 0x22],
      'beyond U+10FFFF': [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22],
      'byte FF': [0x22, 0xff, 0x22],
    }
    for (const [name, bytes] of Object.entries(invalid)) {
      assertMalformed(() => parseStrictJsonBytes(Buffer.from(bytes)), name)
    }
  })

  test('keeps a byte-order mark, so the grammar refuses it', () => {
    assertMalformed(() => parseStrictJsonBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 'BOM')
  })
})
