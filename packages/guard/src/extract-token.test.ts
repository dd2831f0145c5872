import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { extractBearerToken, extractCredential, readHeaderLines, type TokenCarrier } from './extract-token.ts'
import { GuardError } from './guard-errors.ts'

function reasonOf(carrier: TokenCarrier): string | undefined {
  try {
    return extractBearerToken(carrier) === undefined ? undefined : 'token'
  } catch (error) {
    assert.ok(error instanceof GuardError)
    return error.reason
  }
}

describe('extractBearerToken', () => {
  test('takes the token of one Bearer header, scheme in any case', () => {
    assert.equal(extractBearerToken({ headers: { authorization: 'Bearer abc.def.ghi' } }), 'abc.def.ghi')
    assert.equal(extractBearerToken({ headers: { authorization: 'bEaReR abc' } }), 'abc')
    assert.equal(extractBearerToken({ headers: { authorization: 'Bearer a+b/c==' } }), 'a+b/c==')
  })

  test('no credentials at all is undefined (missing_token is decided by the caller)', () => {
    assert.equal(extractBearerToken({ headers: {}, url: '/orders?page=2', body: { page: 2 } }), undefined)
  })

  test('every second source or broken header is invalid_request', () => {
    const bearer = { authorization: 'Bearer abc' }
    const cases: readonly TokenCarrier[] = [
      { headers: {}, url: '/orders?access_token=abc' },
      { headers: {}, url: '/orders?x=1&access%5Ftoken=abc' },
      { headers: bearer, body: { access_token: 'abc' } },
      { headers: bearer, rawHeaders: ['Authorization', 'Bearer abc', 'authorization', 'Bearer def'] },
      { headers: { authorization: 'Basic YTpi' } },
      { headers: { authorization: 'Bearer' } },
      { headers: { authorization: 'Bearer ' } },
      { headers: { authorization: 'Bearer a b' } },
      { headers: { authorization: 'Bearer a=b' } },
      { headers: { authorization: '' } },
    ]
    for (const carrier of cases) assert.equal(reasonOf(carrier), 'invalid_request', JSON.stringify(carrier))
  })

  test('one Authorization line in rawHeaders is fine; a token over 8 KiB is token_too_large', () => {
    assert.equal(
      reasonOf({ headers: { authorization: 'Bearer abc' }, rawHeaders: ['Authorization', 'Bearer abc'] }),
      'token',
    )
    assert.equal(reasonOf({ headers: { authorization: `Bearer ${'a'.repeat(8192)}` } }), 'token')
    assert.equal(reasonOf({ headers: { authorization: `Bearer ${'a'.repeat(8193)}` } }), 'token_too_large')
  })

  test('takes a DPoP-scheme token too (RFC 9449 §7.1), telling the scheme apart', () => {
    assert.deepEqual(extractCredential({ headers: { authorization: 'DPoP abc' } }), {
      token: 'abc',
      scheme: 'dpop',
    })
    assert.deepEqual(extractCredential({ headers: { authorization: 'dPoP abc' } }), {
      token: 'abc',
      scheme: 'dpop',
    })
    assert.deepEqual(extractCredential({ headers: { authorization: 'bearer abc' } }), {
      token: 'abc',
      scheme: 'bearer',
    })
    assert.equal(reasonOf({ headers: { authorization: 'DPoP' } }), 'invalid_request')
    assert.equal(reasonOf({ headers: { authorization: 'DPoPx abc' } }), 'invalid_request')
    const twoSchemes = ['Authorization', 'DPoP abc', 'Authorization', 'Bearer abc']
    assert.equal(
      reasonOf({ headers: { authorization: 'DPoP abc' }, rawHeaders: twoSchemes }),
      'invalid_request',
    )
  })

  test('readHeaderLines sees every DPoP line, which node folds into one value in headers', () => {
    const rawHeaders = ['DPoP', 'a.b.c', 'Host', 'x', 'dpop', 'd.e.f']
    assert.deepEqual(readHeaderLines({ headers: { dpop: 'a.b.c, d.e.f' }, rawHeaders }, 'dpop'), [
      'a.b.c',
      'd.e.f',
    ])
    assert.deepEqual(readHeaderLines({ headers: { dpop: 'a.b.c' } }, 'dpop'), ['a.b.c'])
    assert.deepEqual(readHeaderLines({ headers: {} }, 'dpop'), [])
  })
})
