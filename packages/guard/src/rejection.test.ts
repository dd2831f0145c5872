import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ExpiredTokenError } from '@tessera/core'
import { GuardError, toGuardError } from './guard-errors.ts'
import { bearerChallenge, renderRejection } from './rejection.ts'

describe('rejection mapping', () => {
  test('a token fault: 401 invalid_token with error_description = reason (RFC 6750 §3)', () => {
    const rejection = renderRejection(new GuardError('expired'), 'tessera')
    assert.equal(rejection.status, 401)
    assert.equal(
      rejection.headers['www-authenticate'],
      'Bearer realm="tessera", error="invalid_token", error_description="expired"',
    )
    assert.deepEqual(rejection.body, {
      error: 'invalid_token',
      reason: 'expired',
      message: 'The token has expired',
    })
    assert.equal(rejection.headers['cache-control'], 'no-store')
  })

  test('missing_token: a challenge without error attribute (RFC 6750 §3.1)', () => {
    assert.equal(bearerChallenge(new GuardError('missing_token'), 'api'), 'Bearer realm="api"')
  })

  test('insufficient_scope is 403 with scope; invalid_request is 400', () => {
    const scope = renderRejection(
      new GuardError('insufficient_scope', { requiredScopes: ['a:b', 'c'] }),
      'tessera',
    )
    assert.equal(scope.status, 403)
    assert.match(scope.headers['www-authenticate'] ?? '', /error="insufficient_scope", .*, scope="a:b c"$/)
    assert.equal(renderRejection(new GuardError('invalid_request'), 'tessera').status, 400)
  })

  test('"cannot tell" is 503 temporarily_unavailable with Retry-After and no challenge', () => {
    const rejection = renderRejection(new GuardError('revoked', { retryAfterSeconds: 4.2 }), 'tessera')
    assert.equal(rejection.status, 503)
    assert.equal(rejection.body.error, 'temporarily_unavailable')
    assert.equal(rejection.headers['retry-after'], '5')
    assert.equal(rejection.headers['www-authenticate'], undefined)
  })

  test('toGuardError keeps core reason and message; other errors are faults', () => {
    const converted = toGuardError(new ExpiredTokenError())
    assert.ok(converted instanceof GuardError)
    assert.equal(converted.reason, 'expired')
    assert.equal(converted.code, 'expired')
    assert.equal(toGuardError(new TypeError('boom')), undefined)
  })
})
