import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { TesseraError } from './errors.ts'
import { importVerificationJwk } from './jwk-import.ts'
import { verifyJws } from './jws-verify.ts'
import type { VerificationKey } from './keys.ts'

// packages/core/src/ → the repository's parent, which holds shared/ (CI lays it out the same way).
const vectorsDirectory = new URL('../../../../shared/vectors/wycheproof/', import.meta.url)

interface JwsVector {
  readonly tcId: number
  readonly comment: string
  readonly jws: unknown
  readonly result: 'valid' | 'invalid' | 'acceptable'
}

interface JwsGroup {
  readonly comment: string
  readonly public?: unknown
  readonly private?: unknown
  readonly tests: readonly JwsVector[]
}

const file = JSON.parse(readFileSync(new URL('json_web_signature_test.json', vectorsDirectory), 'utf8')) as {
  readonly numberOfTests: number
  readonly testGroups: readonly JwsGroup[]
}

// Exactly the upstream anomalies named in shared/vectors/wycheproof/README.md; every other vector must pass.
const skipped = new Map<number, string>([
  [367, 'invalidBase64Padding: byte-identical to the valid tcId 357 but labelled invalid'],
  [370, 'invalidBase64PaddingInPayload: byte-identical to the valid tcId 357 but labelled invalid'],
  [372, 'InvalidCharacterInsertedInHeader: contains "?" but is labelled valid'],
  [373, 'InvalidCharacterInsertedInPayload: contains "?" but is labelled valid'],
  [346, 'RFC 7520 Figure 20: the key alg (RS256) differs from the token header (PS384)'],
  [347, 'RFC 7520 Figure 27: the key alg ("ES521") differs from the token header (ES512)'],
  [350, 'RFC 7520 Figure 20 (with key_ops): the key alg differs from the token header'],
  [351, 'RFC 7520 Figure 27 (with key_ops): the key alg differs from the token header'],
])

type Outcome = { readonly accepted: true } | { readonly accepted: false; readonly reason: string }

function importGroupKey(group: JwsGroup): VerificationKey | TesseraError {
  try {
    return importVerificationJwk(group.public ?? group.private, { allowSymmetric: true })
  } catch (error) {
    if (error instanceof TesseraError) return error
    throw error
  }
}

function verifyVector(key: VerificationKey | TesseraError, jws: unknown): Outcome {
  // A group whose key import is refused counts as "invalid" for its vectors.
  if (key instanceof TesseraError) return { accepted: false, reason: `key refused: ${key.code}` }
  try {
    // A real resolver: the key answers only to its own kid.
    verifyJws(jws as string, (header) => (key.kid === undefined || header.kid === key.kid ? key : undefined))
    return { accepted: true }
  } catch (error) {
    if (error instanceof TesseraError) return { accepted: false, reason: error.code }
    throw error
  }
}

describe('Wycheproof json_web_signature_test.json through verifyJws', () => {
  test('the skip list names vectors that exist, so a renumbering upstream is noticed', () => {
    const ids = new Set(file.testGroups.flatMap((group) => group.tests.map((vector) => vector.tcId)))
    for (const tcId of skipped.keys()) assert.ok(ids.has(tcId), `tcId ${tcId}`)
    assert.equal(ids.size, file.numberOfTests)
  })

  let checked = 0
  for (const [index, group] of file.testGroups.entries()) {
    test(`group ${index} (${group.comment}): every vector gets its expected result`, () => {
      const key = importGroupKey(group)
      const failures: string[] = []
      for (const vector of group.tests) {
        if (skipped.has(vector.tcId)) continue
        const outcome = verifyVector(key, vector.jws)
        checked++
        if (vector.result === 'acceptable') continue
        if (outcome.accepted !== (vector.result === 'valid')) {
          const detail = outcome.accepted ? 'accepted' : `refused (${outcome.reason})`
          failures.push(`tcId ${vector.tcId} ${vector.comment}: expected ${vector.result}, ${detail}`)
        }
      }
      assert.deepEqual(failures, [])
    })
  }

  test('every vector but the named skips was checked', () => {
    assert.equal(checked, file.numberOfTests - skipped.size)
  })

  test('skipped upstream anomalies (named, not run)', { skip: [...skipped.keys()].join(', ') }, () => {})

  test('JSON serialization is refused as malformed, as text or as a parsed object', () => {
    const refusedAsMalformed = (jws: unknown, label: string): void => {
      assert.throws(
        () => verifyJws(jws as string, () => undefined),
        (error: unknown) => error instanceof TesseraError && error.code === 'malformed',
        label,
      )
    }
    const jsonSerialized = file.testGroups
      .flatMap((group) => group.tests)
      .filter((vector) => typeof vector.jws !== 'string' || vector.jws.startsWith('{'))
    assert.ok(jsonSerialized.length > 0)
    for (const vector of jsonSerialized) refusedAsMalformed(vector.jws, `tcId ${vector.tcId}`)
    // The valid tcId 1 in flattened JSON serialization (RFC 7515 §7.2.2), handed over as an object.
    const [header, payload, signature] = String(file.testGroups[0]?.tests[0]?.jws).split('.')
    refusedAsMalformed({ protected: header, payload, signature }, 'flattened object')
    refusedAsMalformed({ payload, signatures: [{ protected: header, signature }] }, 'general object')
  })
})
