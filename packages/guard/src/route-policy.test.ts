import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { GuardError } from './guard-errors.ts'
import { checkScopes, parseDurationSeconds, readScopes, resolveRoutePolicy } from './route-policy.ts'

describe('route policy', () => {
  test('maxAge durations: seconds or <n>s|m|h|d, parsed once', () => {
    assert.equal(parseDurationSeconds('5m', 'maxAge'), 300)
    assert.equal(parseDurationSeconds('30s', 'maxAge'), 30)
    assert.equal(parseDurationSeconds('2h', 'maxAge'), 7200)
    assert.equal(parseDurationSeconds(45, 'maxAge'), 45)
    for (const bad of ['5', '5 m', '1.5m', '-1s', '5w', '', 1.5, -1, 400 * 86_400]) {
      assert.throws(() => parseDurationSeconds(bad as never, 'maxAge'), RangeError, String(bad))
    }
  })

  test('scopes: every required one must be granted; the refusal names them for the challenge', () => {
    const policy = resolveRoutePolicy({ scope: ['orders:read', 'orders:write'] }, 'orders-api')
    checkScopes(readScopes('orders:write openid orders:read'), policy)
    const error = (() => {
      try {
        checkScopes(readScopes('orders:read'), policy)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    assert.ok(error instanceof GuardError)
    assert.equal(error.reason, 'insufficient_scope')
    assert.equal(error.status, 403)
    assert.deepEqual(error.requiredScopes, ['orders:read', 'orders:write'])
  })

  test('readScopes tolerates repeated spaces; a scope is matched exactly, never as a prefix', () => {
    assert.deepEqual([...readScopes(' a  b ')], ['a', 'b'])
    assert.throws(() =>
      checkScopes(readScopes('orders:readwrite'), resolveRoutePolicy({ scope: 'orders:read' }, 'x')),
    )
  })

  test('bad route options fail at definition: a scope with a quote, an empty audience', () => {
    assert.throws(() => resolveRoutePolicy({ scope: 'a"b' }, 'orders-api'), TypeError)
    assert.throws(() => resolveRoutePolicy({ scope: 'a b' }, 'orders-api'), TypeError)
    assert.throws(() => resolveRoutePolicy({ audience: [] }, 'orders-api'), TypeError)
    assert.deepEqual(resolveRoutePolicy(undefined, 'orders-api'), {
      requiredScopes: [],
      audience: 'orders-api',
      maxAgeSeconds: undefined,
    })
  })
})
