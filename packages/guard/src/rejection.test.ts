import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ExpiredTokenError } from '@tessera/core'
import { GuardError, toGuardError } from './guard-errors.ts'
import { bearerChallenge, dpopChallenge, renderRejection } from './rejection.ts'

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

  test('DPoP (RFC 9449 §7.1): a proof fault is 401 invalid_dpop_proof, a token fault invalid_token, with algs', () => {
    const proof = renderRejection(
      new GuardError('dpop_invalid', { scheme: 'DPoP', isDpopProofFault: true }),
      'tessera',
      ['ES256'],
    )
    assert.equal(proof.status, 401)
    assert.equal(proof.body.error, 'invalid_dpop_proof')
    assert.equal(
      proof.headers['www-authenticate'],
      'DPoP realm="tessera", error="invalid_dpop_proof", error_description="dpop_invalid", algs="ES256"',
    )
    assert.equal(
      dpopChallenge(new GuardError('expired', { scheme: 'DPoP' }), 'api', ['EdDSA', 'ES256']),
      'DPoP realm="api", error="invalid_token", error_description="expired", algs="EdDSA ES256"',
    )
    // Without the DPoP scheme the same reason keeps the Bearer challenge.
    assert.equal(
      renderRejection(new GuardError('dpop_invalid'), 'tessera').headers['www-authenticate'],
      'Bearer realm="tessera", error="invalid_token", error_description="dpop_invalid"',
    )
  })
})
