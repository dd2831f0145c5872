import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DpopNonces, isIssuerNonceChallenge, isResourceNonceChallenge, readDpopNonce } from './dpop-nonces.ts'

const withNonce = (nonce: string): Headers => new Headers({ 'dpop-nonce': nonce })

describe('DPoP nonces', () => {
  test('only a nonce of RFC 9449 §8.1 syntax and bounded length is taken', () => {
    assert.equal(readDpopNonce(withNonce('eyJ7S_zG.eyJH0-Z.HX4w-7v')), 'eyJ7S_zG.eyJH0-Z.HX4w-7v')
    assert.equal(readDpopNonce(new Headers()), undefined)
    assert.equal(readDpopNonce(withNonce('has space')), undefined)
    assert.equal(readDpopNonce(withNonce('has"quote')), undefined)
    assert.equal(readDpopNonce(withNonce('back\\slash')), undefined)
    assert.equal(readDpopNonce(withNonce('n'.repeat(1024))), 'n'.repeat(1024))
    assert.equal(readDpopNonce(withNonce('n'.repeat(1025))), undefined)
  })

  test('nonces are kept per origin, the newest wins, and the oldest origin goes past 64', () => {
    const nonces = new DpopNonces()
    assert.equal(nonces.hear('https://auth.example.test/v1/login', withNonce('a1')), true)
    assert.equal(nonces.hear('https://auth.example.test/v1/refresh', new Headers()), false)
    nonces.hear('https://api.example.test/orders', withNonce('b1'))
    nonces.hear('https://auth.example.test/v1/refresh', withNonce('a2'))
    assert.equal(nonces.forUrl('https://auth.example.test/anything?x=1'), 'a2')
    assert.equal(nonces.forUrl('https://api.example.test/other'), 'b1')
    assert.equal(nonces.forUrl('https://api.example.test:8443/other'), undefined)
    for (let index = 0; index < 63; index += 1) nonces.hear(`https://h${index}.example.test/`, withNonce('x'))
    assert.equal(nonces.forUrl('https://api.example.test/'), undefined, 'the least recently told origin left')
    assert.equal(nonces.forUrl('https://auth.example.test/'), 'a2')
    nonces.clear()
    assert.equal(nonces.forUrl('https://auth.example.test/'), undefined)
  })

  test('the issuer asks with 400 use_dpop_nonce, a resource server with a 401 DPoP challenge', () => {
    assert.equal(isIssuerNonceChallenge({ status: 400, body: { error: 'use_dpop_nonce' } }), true)
    assert.equal(isIssuerNonceChallenge({ status: 400, body: { error: 'invalid_dpop_proof' } }), false)
    assert.equal(isIssuerNonceChallenge({ status: 401, body: { error: 'use_dpop_nonce' } }), false)
    assert.equal(isIssuerNonceChallenge({ status: 400, body: undefined }), false)
    const challenge = (status: number, value: string): Response =>
      new Response(null, { status, headers: { 'www-authenticate': value } })
    assert.equal(isResourceNonceChallenge(challenge(401, 'DPoP error="use_dpop_nonce"')), true)
    assert.equal(
      isResourceNonceChallenge(
        challenge(401, 'Bearer realm="api", DPoP realm="api", error="use_dpop_nonce"'),
      ),
      true,
    )
    assert.equal(isResourceNonceChallenge(challenge(401, 'Bearer error="use_dpop_nonce"')), false)
    assert.equal(isResourceNonceChallenge(challenge(401, 'DPoP error="invalid_token"')), false)
    assert.equal(isResourceNonceChallenge(challenge(400, 'DPoP error="use_dpop_nonce"')), false)
  })
})
