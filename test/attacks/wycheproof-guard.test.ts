import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import {
  type AccessTokenAlgorithm,
  isReasonCode,
  isSignatureValid,
  TesseraError,
  type VerificationKey,
  verifyJws,
} from '@tessera/core'
import { createGuard, GuardError } from '@tessera/guard'
import { createFixedKeySource, type KeySource } from '../../packages/guard/src/key-source.ts'

/**
 * Wycheproof (shared/vectors/wycheproof, README there) through the guard rather than through core alone:
 * - every key goes through the guard's own JWKS load (`createGuard({ jwks })`, i.e. `importKeySet`): keys the
 *   guard must refuse (RSA, symmetric, private members, `use: enc`, `key_ops` without verify, points off
 *   the curve, mismatched `alg`/`crv`/`kty`) are refused at load, and the usable ones load under their kid;
 * - every JWS goes through `guard.verifyToken` and is refused with a SPEC §4 reason (none of them is an
 *   RFC 9068 access token: no `typ: at+jwt`, no claims), and through the guard's key source + core's
 *   `verifyJws`, where it must get exactly its upstream result when the guard accepts its algorithm;
 * - every raw Ed25519 / P-256 signature is checked with the key as the guard loaded it (a message that is not
 *   a JWS signing input cannot go through `verifyToken`; the primitive is the one `verifyToken` ends in).
 */

const vectorsDirectory = new URL('../../../shared/vectors/wycheproof/', import.meta.url)
const guardAlgorithms: readonly AccessTokenAlgorithm[] = ['EdDSA', 'ES256']
const issuer = 'http://localhost:8080'

type Result = 'valid' | 'invalid' | 'acceptable'
interface JwsGroup {
  readonly comment: string
  readonly public?: unknown
  readonly private?: unknown
  readonly tests: readonly {
    readonly tcId: number
    readonly comment: string
    readonly jws: unknown
    readonly result: Result
  }[]
}
interface SignatureGroup {
  readonly publicKeyDer: string
  readonly publicKeyJwk?: Record<string, unknown>
  readonly tests: readonly {
    readonly tcId: number
    readonly msg: string
    readonly sig: string
    readonly result: Result
  }[]
}

function readVectors<Group>(name: string): { numberOfTests: number; testGroups: readonly Group[] } {
  return JSON.parse(readFileSync(new URL(name, vectorsDirectory), 'utf8')) as {
    numberOfTests: number
    testGroups: readonly Group[]
  }
}

// The upstream anomalies of json_web_signature_test.json named in the vectors' README, exactly as core's
// wycheproof-jws.test.ts skips them. 346/347/350/351 are refused by the guard anyway (PS384 and ES512 are not
// access-token algorithms), so they need no skip here; the other four carry an accepted algorithm.
const jwsAnomalies = new Map<number, string>([
  [367, 'invalidBase64Padding: byte-identical to the valid tcId 357 but labelled invalid'],
  [370, 'invalidBase64PaddingInPayload: byte-identical to the valid tcId 357 but labelled invalid'],
  [372, 'InvalidCharacterInsertedInHeader: contains "?" but is labelled valid'],
  [373, 'InvalidCharacterInsertedInPayload: contains "?" but is labelled valid'],
])

/** The JWKs of a group as a set: a group key is one JWK or already `{ keys: [...] }`. */
function keySetOf(key: unknown): { keys: unknown[] } {
  if (typeof key === 'object' && key !== null && Array.isArray((key as { keys?: unknown }).keys)) {
    return { keys: [...(key as { keys: unknown[] }).keys] }
  }
  return { keys: [key] }
}

/** The guard's fixed key source for a set, or `undefined` when the guard refuses every key in it at load. */
function guardKeySource(jwks: { keys: unknown[] }): KeySource | undefined {
  try {
    return createFixedKeySource(jwks, guardAlgorithms)
  } catch (error) {
    if (error instanceof TypeError) return undefined
    throw error
  }
}

function headerAlgOf(jws: unknown): unknown {
  if (typeof jws !== 'string') return undefined
  try {
    return (
      JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }
    ).alg
  } catch {
    return undefined
  }
}

// What the guard's path makes of one JWS: accepted, or refused with a reason.
function verifyThroughKeySource(
  source: KeySource | undefined,
  jws: unknown,
): { accepted: boolean; reason?: string } {
  try {
    verifyJws(jws as string, source?.resolve ?? (() => undefined))
    return { accepted: true }
  } catch (error) {
    if (error instanceof TesseraError) return { accepted: false, reason: error.code }
    throw error
  }
}

describe('Wycheproof raw signatures, with the key as the guard loads it', () => {
  const files = [
    { name: 'ed25519_test.json', alg: 'EdDSA', checked: 151 },
    { name: 'ecdsa_secp256r1_sha256_p1363_test.json', alg: 'ES256', checked: 262 },
  ] as const
  for (const { name, alg, checked } of files) {
    test(`${name}: every group key loads through createGuard as one ${alg} key`, async () => {
      for (const group of readVectors<SignatureGroup>(name).testGroups) {
        const guard = createGuard({ issuer, audience: 'orders-api', jwks: { keys: [jwkOf(group)] } })
        assert.deepEqual(guard.health().keys, { count: 1, kids: ['wycheproof'], lastFetchAt: undefined })
        await guard.close()
      }
    })

    test(`${name}: all ${checked} vectors get their expected result through the guard-loaded key`, () => {
      const failures: string[] = []
      let count = 0
      for (const group of readVectors<SignatureGroup>(name).testGroups) {
        const source = guardKeySource({ keys: [jwkOf(group)] })
        const key = source?.resolve({ alg, kid: 'wycheproof' }) as VerificationKey
        assert.equal(key.alg, alg)
        assert.ok(
          key.key.equals(
            createPublicKey({ key: Buffer.from(group.publicKeyDer, 'hex'), format: 'der', type: 'spki' }),
          ),
        )
        for (const vector of group.tests) {
          count++
          const isValid = isSignatureValid(
            key.alg,
            key.key,
            Buffer.from(vector.msg, 'hex'),
            Buffer.from(vector.sig, 'hex'),
          )
          if (vector.result !== 'acceptable' && isValid !== (vector.result === 'valid')) {
            failures.push(`tcId ${vector.tcId}: expected ${vector.result}, got ${isValid}`)
          }
        }
      }
      assert.equal(count, checked)
      assert.deepEqual(failures, [])
    })
  }
})

describe('Wycheproof json_web_signature_test.json through the guard', () => {
  const file = readVectors<JwsGroup>('json_web_signature_test.json')

  test('the named anomalies exist, so a renumbering upstream is noticed', () => {
    const ids = new Set(file.testGroups.flatMap((group) => group.tests.map((vector) => vector.tcId)))
    for (const tcId of jwsAnomalies.keys()) assert.ok(ids.has(tcId), `tcId ${tcId}`)
    assert.equal(ids.size, file.numberOfTests)
  })

  test('skipped upstream anomalies (named, not run)', { skip: [...jwsAnomalies.keys()].join(', ') }, () => {})

  test('group keys: the guard loads exactly the public EdDSA/ES256 signing keys, and refuses the rest at load', async () => {
    const loaded: string[] = []
    for (const [index, group] of file.testGroups.entries()) {
      const jwks = keySetOf(group.public ?? group.private)
      let guard: ReturnType<typeof createGuard> | undefined
      try {
        guard = createGuard({ issuer, audience: 'orders-api', jwks })
      } catch (error) {
        assert.ok(error instanceof TypeError, `group ${index}: ${String(error)}`)
        continue
      }
      loaded.push(`${index}:${guard.health().keys.kids.join(',')}`)
      await guard.close()
    }
    // Groups 1 and 22 hold the P-256 key with alg ES256 and use sig; 18 (use enc) and 20 (key_ops encrypt)
    // hold the same point and must be refused; RSA, oct and ES521-on-P-521 keys are never access-token keys.
    assert.deepEqual(loaded, ['1:kid-ec-sign', '22:kid-ec-sign'])
  })

  test('every vector through guard.verifyToken is refused with a SPEC §4 reason, none accepted', async () => {
    const reasons = new Map<string, number>()
    for (const group of file.testGroups) {
      const source = guardKeySource(keySetOf(group.public ?? group.private))
      const jwks =
        source === undefined ? { keys: [jwkOf(undefined)] } : keySetOf(group.public ?? group.private)
      const guard = createGuard({ issuer, audience: 'orders-api', jwks })
      for (const vector of group.tests) {
        const outcome = await guard.verifyToken(vector.jws as string).then(
          () => 'accepted',
          (error: unknown) => error,
        )
        assert.ok(outcome instanceof GuardError, `tcId ${vector.tcId}: ${String(outcome)}`)
        assert.ok(isReasonCode(outcome.reason))
        reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1)
      }
      await guard.close()
    }
    assert.equal(
      [...reasons.values()].reduce((sum, count) => sum + count, 0),
      file.numberOfTests,
    )
    assert.ok((reasons.get('wrong_type') ?? 0) > 0 && (reasons.get('malformed') ?? 0) > 0)
  })

  test('every vector through the guard’s key source + verifyJws: upstream result where the guard takes the alg', () => {
    const failures: string[] = []
    const refusedByPolicy: number[] = []
    let checked = 0
    for (const group of file.testGroups) {
      const source = guardKeySource(keySetOf(group.public ?? group.private))
      for (const vector of group.tests) {
        if (jwsAnomalies.has(vector.tcId)) continue
        checked++
        const outcome = verifyThroughKeySource(source, vector.jws)
        const alg = headerAlgOf(vector.jws)
        const isGuardAlgorithm = source !== undefined && (alg === 'EdDSA' || alg === 'ES256')
        if (!isGuardAlgorithm) {
          if (outcome.accepted) failures.push(`tcId ${vector.tcId}: accepted outside the guard's algorithms`)
          else if (vector.result === 'valid') refusedByPolicy.push(vector.tcId)
          continue
        }
        if (vector.result !== 'acceptable' && outcome.accepted !== (vector.result === 'valid')) {
          failures.push(
            `tcId ${vector.tcId} ${vector.comment}: expected ${vector.result}, got ${outcome.reason ?? 'accepted'}`,
          )
        }
      }
    }
    assert.equal(checked, file.numberOfTests - jwsAnomalies.size)
    assert.deepEqual(failures, [])
    // Upstream-valid tokens the guard refuses by design (HS*, RS*, PS*, ES512 or a key it does not load):
    // listed so that a change in policy shows up here.
    assert.equal(refusedByPolicy.length, 42, refusedByPolicy.join(' '))
  })
})

describe('Wycheproof json_web_key_test.json: invalid JWKs refused at load by the guard', () => {
  const file = readVectors<JwsGroup>('json_web_key_test.json')
  // The one key in this file a guard may load: the valid P-256 ES256 public key beside a symmetric key in
  // the mixed set (the oct key next to it is skipped). Everything else is refused: oct (symmetric), RSA,
  // ES521/ES224 names, use enc, a point off the curve, a P-384 label on P-256 coordinates, kty RSA with x/y,
  // and AES keys.
  const loadable = new Map<number, readonly string[]>([[0, ['kid-ec-sign']]])
  for (const [index, group] of file.testGroups.entries()) {
    const results = group.tests.map((vector) => `${vector.tcId} ${vector.result}`).join(', ')
    test(`group ${index} ${group.comment} (tcId ${results}): only public EdDSA/ES256 keys load; the JWS is refused`, async () => {
      for (const key of [group.public, group.private]) {
        if (key === undefined) continue
        const expected = loadable.get(index)
        if (expected === undefined) {
          assert.throws(
            () => createGuard({ issuer, audience: 'orders-api', jwks: keySetOf(key) }),
            (error: unknown) => error instanceof TypeError && /no usable key/.test(error.message),
          )
        } else {
          const guard = createGuard({ issuer, audience: 'orders-api', jwks: keySetOf(key) })
          assert.deepEqual(guard.health().keys.kids, expected)
          for (const vector of group.tests) {
            const outcome = await guard.verifyToken(vector.jws as string).then(
              () => 'accepted',
              (error: unknown) => error,
            )
            assert.ok(outcome instanceof GuardError && isReasonCode(outcome.reason), `tcId ${vector.tcId}`)
          }
          await guard.close()
        }
        // Upstream-valid vectors here are HS256/RS256 tokens: outside the guard's algorithms by design.
        for (const vector of group.tests) {
          assert.equal(verifyThroughKeySource(guardKeySource(keySetOf(key)), vector.jws).accepted, false)
        }
      }
    })
  }
})

// A group's public key as a JWK under the kid `wycheproof`; for groups written only as DER (and for a
// stand-in when a JWS group has no loadable key), node's export of the key. The standalone Ed25519 key
// below is RFC 8037 §A.2's.
function jwkOf(group: SignatureGroup | undefined): Record<string, unknown> {
  if (group === undefined) {
    return { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'stand-in' }
  }
  const jwk =
    group.publicKeyJwk ??
    createPublicKey({ key: Buffer.from(group.publicKeyDer, 'hex'), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    })
  return { ...jwk, kid: 'wycheproof' }
}

/**
 * The RSA and HMAC files: the guard accepts EdDSA and ES256 only (RFC 8725 §3.1: a verifier allows only the
 * algorithms it expects), so none of their vectors can reach a signature check. What the guard's path does
 * with them is refuse every group's key when the JWKS is loaded, so no RS256, PS256 or HS256 token can verify
 * whatever its signature; and an RSA or `oct` key beside a usable key is skipped, not loaded under the
 * other key's kid.
 */
describe('Wycheproof RSA and HMAC files: every group key is refused when the guard loads its JWKS', () => {
  const stranger = jwkOf(undefined)
  const files = [
    {
      name: 'rsa_signature_2048_sha256_test.json',
      alg: 'RS256',
      jwkOfGroup: (group: Record<string, unknown>) =>
        (group.keyJwk ?? spkiJwk(group)) as Record<string, unknown>,
    },
    {
      name: 'rsa_pss_2048_sha256_mgf1_32_test.json',
      alg: 'PS256',
      jwkOfGroup: (group: Record<string, unknown>) =>
        (group.publicKeyJwk ?? spkiJwk(group)) as Record<string, unknown>,
    },
  ] as const
  for (const { name, alg, jwkOfGroup } of files) {
    test(`${name}: no group key loads as a verification key`, async () => {
      const { testGroups } = readVectors<{ testGroups: Record<string, unknown>[] }>(name) as unknown as {
        testGroups: Record<string, unknown>[]
      }
      assert.ok(testGroups.length > 0)
      for (const group of testGroups) {
        const jwk = { ...jwkOfGroup(group), kid: 'wycheproof', alg }
        assert.throws(
          () => createGuard({ issuer, audience: 'orders-api', jwks: { keys: [jwk] } }),
          /no usable key/,
        )
        const mixed = createGuard({ issuer, audience: 'orders-api', jwks: { keys: [jwk, stranger] } })
        assert.deepEqual(mixed.health().keys.kids, ['stand-in'])
        await mixed.close()
      }
    })
  }

  test('hmac_sha256_test.json: no key of any vector loads as an oct key for HS256', () => {
    const { testGroups } = readVectors<{ testGroups: { tests: { key: string }[] }[] }>(
      'hmac_sha256_test.json',
    ) as unknown as {
      testGroups: { tests: { tcId: number; key: string }[] }[]
    }
    let checked = 0
    for (const group of testGroups) {
      for (const vector of group.tests) {
        const jwk = {
          kty: 'oct',
          k: Buffer.from(vector.key, 'hex').toString('base64url'),
          kid: 'wycheproof',
          alg: 'HS256',
        }
        assert.throws(
          () => createGuard({ issuer, audience: 'orders-api', jwks: { keys: [jwk] } }),
          /no usable key/,
          `tcId ${vector.tcId}`,
        )
        checked += 1
      }
    }
    assert.ok(checked > 100, `only ${checked} vectors`)
  })
})

function spkiJwk(group: Record<string, unknown>): Record<string, unknown> {
  return createPublicKey({
    key: Buffer.from(String(group.publicKeyDer), 'hex'),
    format: 'der',
    type: 'spki',
  }).export({
    format: 'jwk',
  }) as Record<string, unknown>
}
