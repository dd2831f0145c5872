import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { DPOP_NONCE_STEP_SECONDS, isDpopNonceFresh, issueDpopNonce } from './dpop-nonce.ts'

const key = Buffer.alloc(32, 0x42)
const otherKey = Buffer.alloc(32, 0x43)
// The start of a step, so that "+ 59" stays in it and "+ 60" is the next one.
const stepStart = 28_333_333 * DPOP_NONCE_STEP_SECONDS

describe('issueDpopNonce', () => {
  test('is 128 bits of HMAC-SHA256 over the label and the 64-bit step, in base64url', () => {
    const counter = Buffer.alloc(8)
    counter.writeBigInt64BE(28_333_333n)
    const expected = createHmac('sha256', key)
      .update('tessera dpop-nonce v1\0')
      .update(counter)
      .digest()
      .subarray(0, 16)
      .toString('base64url')
    assert.equal(issueDpopNonce(key, stepStart + 17), expected)
    assert.match(expected, /^[A-Za-z0-9_-]{22}$/)
  })

  test('is the same throughout a step, differs between steps and between keys', () => {
    assert.equal(issueDpopNonce(key, stepStart), issueDpopNonce(key, stepStart + 59))
    assert.notEqual(issueDpopNonce(key, stepStart + 59), issueDpopNonce(key, stepStart + 60))
    assert.notEqual(issueDpopNonce(key, stepStart), issueDpopNonce(otherKey, stepStart))
  })

  test('refuses a key under 32 bytes and a non-finite time', () => {
    assert.throws(() => issueDpopNonce(Buffer.alloc(31), stepStart), RangeError)
    assert.throws(() => issueDpopNonce(key, Number.NaN), RangeError)
    assert.throws(() => isDpopNonceFresh('x', Buffer.alloc(16), stepStart), RangeError)
  })
})

describe('isDpopNonceFresh', () => {
  const nonce = issueDpopNonce(key, stepStart + 30)

  test('accepts a nonce in its own step and the next, on any instance with the key', () => {
    assert.equal(isDpopNonceFresh(nonce, key, stepStart), true)
    assert.equal(isDpopNonceFresh(nonce, Buffer.from(key), stepStart + 59), true)
    assert.equal(isDpopNonceFresh(nonce, key, stepStart + 60), true)
    assert.equal(isDpopNonceFresh(nonce, key, stepStart + 119), true)
  })

  test('refuses it two steps later, a step early, or under another key', () => {
    assert.equal(isDpopNonceFresh(nonce, key, stepStart + 120), false)
    assert.equal(isDpopNonceFresh(nonce, key, stepStart - 1), false)
    assert.equal(isDpopNonceFresh(nonce, otherKey, stepStart + 30), false)
  })

  test('refuses malformed nonces without throwing', () => {
    const at = stepStart + 30
    assert.equal(isDpopNonceFresh(`${nonce}A`, key, at), false)
    assert.equal(isDpopNonceFresh(nonce.slice(0, -1), key, at), false)
    assert.equal(isDpopNonceFresh(`${nonce}=`, key, at), false)
    assert.equal(isDpopNonceFresh('', key, at), false)
    assert.equal(isDpopNonceFresh(undefined, key, at), false)
    assert.equal(isDpopNonceFresh(42, key, at), false)
  })
})
