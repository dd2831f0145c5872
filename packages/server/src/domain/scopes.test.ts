import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  grantableScopes,
  isMetaScope,
  isScopeToken,
  META_SCOPES,
  missingScopes,
  parseScopeList,
} from './scopes.ts'

describe('scopes (RFC 6749 §3.3)', () => {
  test('scope tokens: printable ASCII without space, " or \\, 1–128 characters', () => {
    for (const good of ['a', 'orders:read', 'https://api.example/x', '!#[]~', 'x'.repeat(128)]) {
      assert.equal(isScopeToken(good), true, good)
    }
    for (const bad of ['', 'a b', 'say"hi"', 'back\\slash', 'tab\t', 'é', 'x'.repeat(129), 42]) {
      assert.equal(isScopeToken(bad), false, String(bad))
    }
  })

  test('a scope list is single-space separated; it comes back sorted and de-duplicated', () => {
    assert.deepEqual(parseScopeList('b a b'), ['a', 'b'])
    assert.deepEqual(parseScopeList(''), [])
    for (const bad of ['a  b', ' a', 'a ', 'a\tb', 'a "b"']) assert.equal(parseScopeList(bad), undefined, bad)
    assert.equal(parseScopeList(Array.from({ length: 65 }, (_, i) => `s${i}`).join(' ')), undefined)
    assert.equal(parseScopeList(Array.from({ length: 64 }, (_, i) => `s${i}`).join(' '))?.length, 64)
  })

  test('meta scopes are never grantable in tokens', () => {
    assert.equal(isMetaScope(META_SCOPES.mint), true)
    assert.equal(isMetaScope('orders:read'), false)
    assert.deepEqual(grantableScopes(['orders:read', 'tokens:mint', 'revocations:read', 'x']), [
      'orders:read',
      'x',
    ])
  })

  test('missingScopes lists what is requested but not held', () => {
    assert.deepEqual(missingScopes(['a', 'c', 'd'], ['a', 'b']), ['c', 'd'])
    assert.deepEqual(missingScopes([], ['a']), [])
  })
})
