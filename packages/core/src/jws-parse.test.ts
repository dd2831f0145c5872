import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeBase64url } from './base64url.ts'
import { TesseraError } from './errors.ts'
import { parseCompactJws } from './jws-parse.ts'

const b64 = (text: string): string => encodeBase64url(Buffer.from(text, 'utf8'))
const signature = encodeBase64url(Buffer.alloc(64, 1))
const payload = b64('{"sub":"u"}')
const tokenWithHeader = (headerJson: string): string => `${b64(headerJson)}.${payload}.${signature}`
const valid = tokenWithHeader('{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}')

function assertCode(token: unknown, code: string, label?: string, maxLength?: number): void {
  const options = maxLength === undefined ? undefined : { maxLength }
  assert.throws(
    () => parseCompactJws(token as string, options),
    (error: unknown) => error instanceof TesseraError && error.code === code,
    label ?? JSON.stringify(token),
  )
}

describe('parseCompactJws', () => {
  test('takes a valid token apart without decoding the payload', () => {
    const parsed = parseCompactJws(valid)
    assert.deepEqual({ ...parsed.header }, { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    assert.deepEqual(parsed.payload, Buffer.from('{"sub":"u"}'))
    assert.equal(parsed.signingInput, valid.slice(0, valid.lastIndexOf('.')))
    assert.deepEqual(parsed.signature, Buffer.alloc(64, 1))
  })

  test('accepts an empty payload and a header with alg only', () => {
    const parsed = parseCompactJws(`${b64('{"alg":"HS256"}')}..${signature}`)
    assert.equal(parsed.payload.length, 0)
    assert.equal(parsed.header.typ, undefined)
  })

  test('refuses tokens longer than maxLength (default 8192) before anything else', () => {
    const long = `${valid}${'A'.repeat(8193 - valid.length)}`
    assertCode(long, 'token_too_large', 'one over the default')
    assertCode(`${'.'.repeat(9000)}`, 'token_too_large', 'garbage that is also too long')
    assert.doesNotThrow(() => parseCompactJws(valid, { maxLength: valid.length }))
    assertCode(valid, 'token_too_large', 'custom limit', valid.length - 1)
  })

  test('refuses anything but three canonical base64url segments', () => {
    const [h, p, s] = valid.split('.') as [string, string, string]
    const cases: Record<string, unknown> = {
      'not a string': 42,
      undefined: undefined,
      'JSON serialization object': { payload: p, signatures: [] },
      empty: '',
      'one segment': h,
      'two segments': `${h}.${p}`,
      'four segments': `${valid}.${s}`,
      'trailing dot': `${valid}.`,
      'empty header': `.${p}.${s}`,
      'empty signature': `${h}.${p}.`,
      'padding in the signature': `${h}.${p}.${s}==`,
      'space inside the payload': `${h}.${p.slice(0, 2)} ${p.slice(2)}.${s}`,
      'newline before the signature': `${h}.${p}.\n${s}`,
      'leading space': ` ${valid}`,
      'trailing newline': `${valid}\n`,
      'standard alphabet': `${h}.${p}.${s.replace(/^./, '+')}`,
      'JWE (five segments)': `${h}.${p}.${s}.${s}.${s}`,
      'length 1 mod 4 signature': `${h}.${p}.${s}AAA`,
      'unused bits set in the signature': `${h}.${p}.${s.slice(0, -1)}B`,
      'unused bits set in the payload': `${h}.${b64('{"sub":"u"}').slice(0, -1)}${p.endsWith('Q') ? 'R' : 'f'}.${s}`,
      'non-ASCII character': `${h}.${p}é.${s}`,
    }
    for (const [name, token] of Object.entries(cases)) assertCode(token, 'malformed', name)
  })

  test('refuses a header that is not a strict JSON object of alg, typ and kid strings', () => {
    const headers: Record<string, string> = {
      'not JSON': 'alg=EdDSA',
      array: '["EdDSA"]',
      string: '"EdDSA"',
      null: 'null',
      'no alg': '{"typ":"at+jwt"}',
      'alg not a string': '{"alg":1}',
      'alg null': '{"alg":null}',
      'typ not a string': '{"alg":"EdDSA","typ":["at+jwt"]}',
      'kid not a string': '{"alg":"EdDSA","kid":7}',
      'duplicate alg': '{"alg":"HS256","alg":"EdDSA"}',
      'trailing comma': '{"alg":"EdDSA",}',
      BOM: '\ufeff{"alg":"EdDSA"}',
      jku: '{"alg":"EdDSA","jku":"https://evil.example/jwks"}',
      x5u: '{"alg":"EdDSA","x5u":"https://evil.example/cert"}',
      jwk: '{"alg":"EdDSA","jwk":{"kty":"OKP"}}',
      x5c: '{"alg":"EdDSA","x5c":["MII"]}',
      crit: '{"alg":"EdDSA","crit":["b64"],"b64":false}',
      b64: '{"alg":"EdDSA","b64":false}',
      zip: '{"alg":"EdDSA","zip":"DEF"}',
      cty: '{"alg":"EdDSA","cty":"JWT"}',
      __proto__: '{"alg":"EdDSA","__proto__":"x"}',
    }
    for (const [name, header] of Object.entries(headers))
      assertCode(tokenWithHeader(header), 'malformed', name)
    const invalidUtf8 = `${encodeBase64url(Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x7d]))}.${payload}.${signature}`
    assertCode(invalidUtf8, 'malformed', 'header not UTF-8')
  })

  test('refuses alg none in any casing as unsupported_alg', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      assertCode(tokenWithHeader(`{"alg":"${alg}"}`), 'unsupported_alg', alg)
    }
  })

  test('accepts whitespace between JSON tokens inside the header', () => {
    assert.equal(parseCompactJws(tokenWithHeader('{ "alg" :\n\t"EdDSA" }')).header.alg, 'EdDSA')
  })
})
