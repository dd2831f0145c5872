import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeDpopAth as coreAth, verifyDpopProof } from '@tessera/core'
import {
  adoptDpopKeyPair,
  checkDpopKeyPair,
  type DpopAlgorithm,
  generateDpopSigningKey,
  type WebCryptoSubtle,
} from './dpop-key.ts'
import { computeDpopAth, createDpopProof } from './dpop-proof.ts'

const subtle = globalThis.crypto.subtle
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function decodeSegment(proof: string, index: number): Record<string, unknown> {
  const segment = proof.split('.')[index] ?? ''
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

async function generatePair(alg: DpopAlgorithm, extractable: boolean, usages: Array<'sign' | 'verify'>) {
  const params = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' }
  const pair = await subtle.generateKey(params, extractable, usages)
  assert.ok('privateKey' in pair)
  return pair
}

for (const alg of ['ES256', 'EdDSA'] as const) {
  describe(`DPoP key and proof (${alg})`, () => {
    test('the generated private key cannot be exported and the public JWK has no private member', async () => {
      const key = await generateDpopSigningKey(alg)
      assert.equal(key.privateKey.extractable, false)
      await assert.rejects(subtle.exportKey('jwk', key.privateKey))
      await assert.rejects(subtle.exportKey('pkcs8', key.privateKey))
      const expectedMembers = alg === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x']
      assert.deepEqual(Object.keys(key.publicJwk).sort(), expectedMembers)
      assert.equal('d' in key.publicJwk, false)
    })

    test('a proof verifies with core for its method, URL without query, token hash and time', async () => {
      const key = await generateDpopSigningKey(alg)
      const accessToken = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3JfMSJ9.c2ln'
      const url = 'https://api.example.test/orders/7?expand=lines#top'
      const before = nowSeconds()
      const proof = await createDpopProof(key, {
        method: 'DELETE',
        url,
        accessToken,
        nowSeconds: Date.now() / 1000,
      })
      const verdict = verifyDpopProof(proof, { method: 'DELETE', url, nowSeconds: nowSeconds(), accessToken })
      assert.equal(verdict.ok, true, JSON.stringify(verdict))
      const header = decodeSegment(proof, 0)
      assert.deepEqual(header, { typ: 'dpop+jwt', alg, jwk: key.publicJwk })
      const claims = decodeSegment(proof, 1)
      assert.equal(claims.htm, 'DELETE')
      assert.equal(claims.htu, 'https://api.example.test/orders/7')
      assert.equal(claims.ath, coreAth(accessToken))
      assert.equal(claims.nonce, undefined)
      assert.ok(
        Number.isInteger(claims.iat) &&
          (claims.iat as number) >= before &&
          (claims.iat as number) <= nowSeconds(),
      )
      // ≥ 96 random bits: 16 bytes are 22 base64url characters.
      assert.match(String(claims.jti), /^[A-Za-z0-9_-]{22}$/)
      // JWS wants the raw 64-byte signature (r‖s for ECDSA, RFC 7518 §3.4), not DER.
      assert.equal(Buffer.from(proof.split('.')[2] ?? '', 'base64url').length, 64)
      // The wrong method, URL or token does not verify: the checks above are real.
      const wrongUrl = verifyDpopProof(proof, {
        method: 'DELETE',
        url: 'https://api.example.test/orders/8',
        nowSeconds: nowSeconds(),
        accessToken,
      })
      assert.deepEqual([wrongUrl.ok, !wrongUrl.ok && wrongUrl.check], [false, 'htu'])
    })

    test('every proof has its own jti, and a nonce is carried when given', async () => {
      const key = await generateDpopSigningKey(alg)
      const url = 'https://auth.example.test/v1/refresh'
      const proofs = await Promise.all(
        Array.from({ length: 20 }, () =>
          createDpopProof(key, { method: 'POST', url, nowSeconds: Date.now() / 1000 }),
        ),
      )
      assert.equal(new Set(proofs.map((proof) => decodeSegment(proof, 1).jti)).size, 20)
      const withNonce = await createDpopProof(key, {
        method: 'POST',
        url,
        nonce: 'n-1',
        nowSeconds: Date.now() / 1000,
      })
      assert.equal(decodeSegment(withNonce, 1).nonce, 'n-1')
      assert.equal(
        verifyDpopProof(withNonce, { method: 'POST', url, nowSeconds: nowSeconds(), nonce: 'n-1' }).ok,
        true,
      )
      assert.equal(
        verifyDpopProof(withNonce, { method: 'POST', url, nowSeconds: nowSeconds(), nonce: 'n-2' }).ok,
        false,
      )
    })
  })
}

describe('DPoP key checks', () => {
  test('ath matches core for tokens of every length modulo 3 (the hand-written base64url)', async () => {
    for (const token of ['a', 'ab', 'abc', 'abcd', 'eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl']) {
      assert.equal(await computeDpopAth(subtle, token), coreAth(token))
    }
  })

  test('a caller pair is accepted when non-extractable, and its algorithm is inferred', async () => {
    const pair = await generatePair('EdDSA', false, ['sign', 'verify'])
    assert.equal(checkDpopKeyPair(pair, undefined), 'EdDSA')
    assert.equal(checkDpopKeyPair(await generatePair('ES256', false, ['sign', 'verify']), 'ES256'), 'ES256')
    const key = await adoptDpopKeyPair(pair, 'EdDSA')
    const exported = await subtle.exportKey('jwk', pair.publicKey)
    assert.deepEqual(key.publicJwk, { kty: 'OKP', crv: 'Ed25519', x: exported.x })
  })

  test('an extractable private key, a wrong algorithm, a missing sign usage or a non-pair is refused', async () => {
    const extractable = await generatePair('ES256', true, ['sign', 'verify'])
    assert.throws(() => checkDpopKeyPair(extractable, undefined), {
      name: 'TypeError',
      message: /dpop\.keyPair\.privateKey must not be extractable/,
    })
    const ed = await generatePair('EdDSA', false, ['sign', 'verify'])
    assert.throws(() => checkDpopKeyPair(ed, 'ES256'), { name: 'TypeError', message: /dpop\.alg is 'ES256'/ })
    // An ECDH pair cannot sign at all: its private key has no 'sign' usage.
    const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
    assert.throws(() => checkDpopKeyPair(ecdh, undefined), { name: 'TypeError', message: /'sign' usage/ })
    const p384 = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])
    assert.throws(() => checkDpopKeyPair(p384, undefined), { name: 'TypeError', message: /P-256 \(ES256\)/ })
    assert.throws(() => checkDpopKeyPair({ privateKey: ed.privateKey }, undefined), /CryptoKeyPair/)
    assert.throws(
      () => checkDpopKeyPair({ privateKey: ed.publicKey, publicKey: ed.privateKey }, undefined),
      TypeError,
    )
  })

  test('a runtime without the algorithm gives a TypeError that names it', async () => {
    const lacking = {
      generateKey: () => Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError')),
    } as unknown as WebCryptoSubtle
    await assert.rejects(generateDpopSigningKey('EdDSA', lacking), {
      name: 'TypeError',
      message: /cannot generate EdDSA keys/,
    })
  })
})
