import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeFormComponent, FormBodyError, parseFormBody } from './form-body.ts'

function rejects(text: string, field: string): void {
  assert.throws(
    () => parseFormBody(text),
    (error: unknown) => error instanceof FormBodyError && error.field === field,
    text,
  )
}

describe('strict form bodies (application/x-www-form-urlencoded)', () => {
  test('decodes + as space and percent-encoded UTF-8', () => {
    assert.deepEqual(
      { ...parseFormBody('grant_type=client_credentials&scope=a+b&x=%C3%A9%2F') },
      { grant_type: 'client_credentials', scope: 'a b', x: 'é/' },
    )
    assert.equal(decodeFormComponent('%E0%A4%A'), undefined)
    assert.equal(decodeFormComponent('%FF'), undefined, 'not UTF-8')
  })

  test('a parameter without a value counts as omitted (RFC 6749 §3.1)', () => {
    assert.deepEqual({ ...parseFormBody('a=&b&c=1&') }, { c: '1' })
    assert.deepEqual({ ...parseFormBody('') }, {})
  })

  test('a repeated parameter is refused, even when one copy is empty (RFC 6749 §3.1)', () => {
    rejects('scope=a&scope=b', 'scope')
    rejects('scope=&scope=b', 'scope')
    rejects('scope=a&sc%6Fpe=b', 'scope')
  })

  test('broken encodings, empty names and too many parameters are refused', () => {
    rejects('a=%zz', 'body')
    rejects('=value', 'body')
    rejects(`${'n'.repeat(65)}=1`, 'body')
    rejects(Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&'), 'body')
  })

  test('prototype names are plain keys of a null-prototype object', () => {
    const params = parseFormBody('__proto__=x&constructor=y')
    assert.equal(Object.getPrototypeOf(params), null)
    assert.equal(Object.getOwnPropertyDescriptor(params, '__proto__')?.value, 'x')
    assert.equal(params.constructor, 'y')
  })
})
