import assert from 'node:assert/strict'
import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import type { JwsAlgorithm } from './algorithms.ts'
import { importVerificationJwk } from './jwk-import.ts'
import { isSignatureValid } from './jws-signature.ts'

const vectorsDirectory = new URL('../../../../shared/vectors/wycheproof/', import.meta.url)

interface SignatureVector {
  readonly tcId: number
  readonly comment: string
  readonly msg: string
  readonly sig: string
  readonly result: 'valid' | 'invalid' | 'acceptable'
}

interface SignatureGroup {
  readonly publicKeyDer: string
  readonly publicKeyJwk?: unknown
  readonly tests: readonly SignatureVector[]
}

function readGroups(name: string): readonly SignatureGroup[] {
  const file = JSON.parse(readFileSync(new URL(name, vectorsDirectory), 'utf8')) as {
    readonly testGroups: readonly SignatureGroup[]
  }
  assert.ok(file.testGroups.length > 0)
  return file.testGroups
}

// The raw primitive, wired exactly as verifyJws wires it (length rule included). 'acceptable' may go either way.
function runVectors(name: string, alg: JwsAlgorithm): { checked: number; failures: string[] } {
  const failures: string[] = []
  let checked = 0
  for (const group of readGroups(name)) {
    const key: KeyObject = createPublicKey({
      key: Buffer.from(group.publicKeyDer, 'hex'),
      format: 'der',
      type: 'spki',
    })
    if (group.publicKeyJwk !== undefined) {
      // The same key reached through the strict JWK import must be the same key with the same algorithm.
      const imported = importVerificationJwk(group.publicKeyJwk)
      assert.equal(imported.alg, alg)
      assert.equal(imported.key.equals(key), true)
    }
    for (const vector of group.tests) {
      checked++
      const isValid = isSignatureValid(
        alg,
        key,
        Buffer.from(vector.msg, 'hex'),
        Buffer.from(vector.sig, 'hex'),
      )
      if (vector.result !== 'acceptable' && isValid !== (vector.result === 'valid')) {
        failures.push(`tcId ${vector.tcId} ${vector.comment}: expected ${vector.result}, got ${isValid}`)
      }
    }
  }
  return { checked, failures }
}

describe('Wycheproof raw signature vectors through isSignatureValid', () => {
  test('ed25519_test.json with EdDSA', () => {
    const { checked, failures } = runVectors('ed25519_test.json', 'EdDSA')
    assert.equal(checked, 151)
    assert.deepEqual(failures, [])
  })

  test('ecdsa_secp256r1_sha256_p1363_test.json with ES256', () => {
    const { checked, failures } = runVectors('ecdsa_secp256r1_sha256_p1363_test.json', 'ES256')
    assert.equal(checked, 262)
    assert.deepEqual(failures, [])
  })
})
