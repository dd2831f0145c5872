import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createError } from './create-error.ts'
import { TesseraError } from './errors.ts'
import { isReasonCode, REASON_CODES } from './reason-codes.ts'
import { InvalidRequestError, RefreshTokenReusedError } from './request-errors.ts'
import { ExpiredTokenError, MalformedTokenError, UnsupportedAlgorithmError } from './token-errors.ts'

// SPEC §4, copied by hand: the list in code must not drift from the contract.
const specCodes =
  `missing_token malformed token_too_large unsupported_alg unknown_key bad_signature wrong_type
  wrong_issuer wrong_audience expired not_yet_valid too_old lifetime_exceeded revoked session_revoked
  fingerprint_mismatch dpop_invalid uses_exhausted wrong_path insufficient_scope refresh_token_reused
  refresh_token_expired invalid_refresh_token invalid_credentials csrf_failed rate_limited invalid_request`
    .split(/\s+/)
    .filter((code) => code.length > 0)

describe('reason codes', () => {
  test('REASON_CODES is exactly the SPEC §4 list, in order, and frozen', () => {
    assert.deepEqual([...REASON_CODES], specCodes)
    assert.equal(Object.isFrozen(REASON_CODES), true)
  })

  test('isReasonCode accepts the codes only, case-sensitively', () => {
    for (const code of specCodes) assert.equal(isReasonCode(code), true, code)
    for (const value of ['EXPIRED', 'expired ', '', 'toString', '__proto__', 1, null, undefined, {}]) {
      assert.equal(isReasonCode(value), false, String(value))
    }
  })
})

describe('createError', () => {
  test('returns, for every code, a TesseraError subclass whose static and instance code agree', () => {
    const classNames = new Set<string>()
    for (const code of REASON_CODES) {
      const error = createError(code)
      assert.ok(error instanceof TesseraError)
      assert.ok(error instanceof Error)
      assert.equal(error.code, code)
      assert.notEqual(error.constructor, TesseraError, `${code} must have its own class`)
      assert.equal(Reflect.get(error.constructor, 'code'), code)
      assert.equal(error.name, error.constructor.name)
      assert.ok(error.message.length > 0)
      classNames.add(error.constructor.name)
    }
    assert.equal(classNames.size, REASON_CODES.length)
  })

  test('keeps a given message and cause', () => {
    const cause = new Error('library detail')
    const error = createError('malformed', 'The token header is not JSON', { cause })
    assert.ok(error instanceof MalformedTokenError)
    assert.equal(error.message, 'The token header is not JSON')
    assert.equal(error.cause, cause)
  })

  test('maps codes to the named classes', () => {
    assert.ok(createError('expired') instanceof ExpiredTokenError)
    assert.ok(createError('unsupported_alg') instanceof UnsupportedAlgorithmError)
    assert.ok(createError('refresh_token_reused') instanceof RefreshTokenReusedError)
    assert.ok(createError('invalid_request') instanceof InvalidRequestError)
    assert.equal(MalformedTokenError.code, 'malformed')
    assert.equal(new ExpiredTokenError().code, 'expired')
  })

  test('default messages never echo input', () => {
    for (const code of REASON_CODES) assert.doesNotMatch(createError(code).message, /eyJ|undefined|\[object/)
  })
})
