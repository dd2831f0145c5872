import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, SignJWT } from 'jose'
import { computeDpopAth } from './dpop-binding.ts'
import { checkDpopKey, type DpopAlgorithm } from './dpop-key.ts'
import { verifyDpopProof } from './dpop-proof.ts'
import { computeJwkThumbprint } from './jwk-export.ts'
import {
  accessToken,
  generateDpopTestKey,
  honestProof,
  now,
  requestOptions,
  requestUrl,
} from './test-support/dpop-fixtures.ts'

// jose is the independent implementation: proofs it signs must verify here, and proofs made here must
// verify there (with its EmbeddedJWK resolver and typ check), and both must name the same thumbprint.

describe('DPoP interop with jose', () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    const key = generateDpopTestKey(alg)

    test(`${alg}: a jose proof verifies, with jose's thumbprint as jkt`, async () => {
      const proof = await new SignJWT({ htm: 'GET', htu: requestUrl, ath: computeDpopAth(accessToken) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: key.publicJwk })
        .setJti('jose-jti-1')
        .setIssuedAt(now)
        .sign(key.privateKey)
      const result = verifyDpopProof(proof, requestOptions({ accessToken }))
      assert.equal(result.ok, true, result.ok ? '' : result.detail)
      assert.equal(result.ok && result.jkt, await calculateJwkThumbprint(key.publicJwk))
      assert.equal(result.ok && result.jti, 'jose-jti-1')
    })

    test(`${alg}: a createDpopProof proof verifies with jose`, async () => {
      const proof = honestProof(key, { accessToken, nonce: 'n-1', url: `${requestUrl}?page=2#top` })
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [alg],
        currentDate: new Date(now * 1000),
      })
      assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'jwk', 'typ'])
      assert.deepEqual(protectedHeader.jwk, { ...key.publicJwk })
      assert.deepEqual(payload, {
        jti: 'jti-0001',
        htm: 'GET',
        htu: requestUrl,
        iat: now,
        ath: computeDpopAth(accessToken),
        nonce: 'n-1',
      })
    })
  }

  test('createDpopProof refuses a jwk that is not the private key’s public half', () => {
    const key = generateDpopTestKey('EdDSA')
    const other = generateDpopTestKey('EdDSA')
    assert.throws(() => honestProof(key, { publicJwk: other.publicJwk }), /public half/)
    assert.throws(() => honestProof(key, { alg: 'ES256' }), /P-256 key for ES256/)
  })
})

describe('computeJwkThumbprint, the DPoP jkt (RFC 7638)', () => {
  test('RFC 8037 §A.3 Ed25519 vector', async () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const
    assert.equal(computeJwkThumbprint(jwk), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
    assert.equal(await calculateJwkThumbprint(jwk), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })

  test('P-256 vector (the RFC 7515 §A.3 key), checked with jose and with a hand-built SHA-256', async () => {
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    } as const
    // Expected value computed outside Tessera: Python hashlib over the RFC 7638 canonical JSON.
    const expected = 'oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U'
    assert.equal(computeJwkThumbprint(jwk), expected)
    assert.equal(await calculateJwkThumbprint(jwk), expected)
    // Member order in the input does not matter; only the required members count.
    assert.equal(computeJwkThumbprint({ y: jwk.y, x: jwk.x, kty: 'EC', crv: 'P-256' }), expected)
  })

  test('fresh keys agree with jose', async () => {
    for (const alg of ['EdDSA', 'ES256', 'EdDSA', 'ES256'] as const) {
      const { publicJwk } = generateDpopTestKey(alg)
      assert.equal(computeJwkThumbprint(publicJwk), await calculateJwkThumbprint(publicJwk))
    }
  })
})

// packages/core/src/ → the repository's parent, which holds shared/ (as wycheproof-signatures.test.ts).
const vectorsDirectory = new URL('../../../../shared/vectors/wycheproof/', import.meta.url)

interface SignatureGroup {
  readonly publicKeyDer: string
  readonly publicKeyJwk?: unknown
  readonly tests: readonly { tcId: number; comment: string; msg: string; sig: string; result: string }[]
}

// The DPoP path end to end below the JWS framing: the group's JWK through checkDpopKey, then its verify.
function runVectors(file: string, alg: DpopAlgorithm): { checked: number; failures: string[] } {
  const { testGroups } = JSON.parse(readFileSync(new URL(file, vectorsDirectory), 'utf8')) as {
    readonly testGroups: readonly SignatureGroup[]
  }
  const failures: string[] = []
  let checked = 0
  for (const group of testGroups) {
    // A few ECDSA groups ship without a JWK; node's export of their DER key stands in.
    const jwk =
      group.publicKeyJwk ??
      createPublicKey({ key: Buffer.from(group.publicKeyDer, 'hex'), format: 'der', type: 'spki' }).export({
        format: 'jwk',
      })
    const key = checkDpopKey(jwk, alg)
    if (!key.ok) {
      failures.push(`key refused: ${key.detail}`)
      continue
    }
    for (const vector of group.tests) {
      checked++
      const isValid = key.verify(Buffer.from(vector.msg, 'hex'), Buffer.from(vector.sig, 'hex'))
      if (vector.result !== 'acceptable' && isValid !== (vector.result === 'valid'))
        failures.push(`tcId ${vector.tcId} ${vector.comment}: expected ${vector.result}, got ${isValid}`)
    }
  }
  return { checked, failures }
}

describe('Wycheproof vectors through the DPoP key check', () => {
  test('ed25519_test.json', () => {
    assert.deepEqual(runVectors('ed25519_test.json', 'EdDSA'), { checked: 151, failures: [] })
  })

  test('ecdsa_secp256r1_sha256_p1363_test.json', () => {
    const result = runVectors('ecdsa_secp256r1_sha256_p1363_test.json', 'ES256')
    assert.deepEqual(result, { checked: 262, failures: [] })
  })
})
