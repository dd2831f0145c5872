import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  isReasonCode,
  type ManualClock,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, GuardError } from '@tessera/guard'
import fc from 'fast-check'
import { AUDIENCE, tokenClaims } from '../guard/guard-fixtures.ts'
import { type LoopbackIssuer, startLoopbackIssuer } from '../guard/loopback-issuer.ts'
import { isPrototypeClean } from './support/nothing-changed.ts'
import { b64u, forgeJws, signerOf } from './support/token-forge.ts'

// Seeded and bounded: a failure reproduces exactly (fast-check prints the seed and path), and the file runs
// in seconds.
const settings = { seed: 0x7e55a77, numRuns: 600 } as const

/**
 * Property-based fuzzing of the guard's token path (parse, verify, claims): whatever the input — arbitrary
 * text, JWS-shaped text, arbitrary JSON signed by a stranger, or a valid token flipped, swapped, truncated
 * or spliced — `verifyToken` rejects with a `GuardError` carrying a SPEC §4 reason, never throws anything
 * else, never accepts a mutated token, and costs no JWKS fetch within the cooldown.
 */
describe('fuzzing the guard’s token parser', () => {
  const key = generateSigningKey('EdDSA', 'k-fuzz')
  const stranger = generateSigningKey('EdDSA', 'k-fuzz')
  let clock: ManualClock
  let issuer: LoopbackIssuer
  let guard: Guard
  let validTokens: readonly string[]

  before(async () => {
    clock = createManualClock(1_900_000_000)
    issuer = await startLoopbackIssuer()
    issuer.setJwks([exportPublicJwk(key), exportPublicJwk(generateSigningKey('ES256', 'k-fuzz-es'))])
    guard = createGuard({ issuer: issuer.url, audience: AUDIENCE, clock })
    validTokens = Array.from({ length: 4 }, (_, index) =>
      signAccessToken(tokenClaims(issuer.url, clock.nowSeconds(), { scope: `s${index}` }), key),
    )
    for (const token of validTokens) await guard.verifyToken(token)
  })
  after(async () => {
    await guard.close()
    await issuer.close()
  })

  /** The one acceptable outcome for a hostile input: a GuardError with a SPEC §4 reason. */
  async function isRefusedWithReason(token: string): Promise<boolean> {
    const outcome = await guard.verifyToken(token).then(
      () => 'accepted' as const,
      (error: unknown) => error,
    )
    return outcome instanceof GuardError && isReasonCode(outcome.reason)
  }

  const validToken = (): fc.Arbitrary<string> => fc.constantFrom(...validTokens)
  const base64urlText = fc
    .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), {
      maxLength: 60,
    })
    .map((characters) => characters.join(''))

  test('arbitrary text, any UTF-16 unit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), isRefusedWithReason),
      settings,
    )
  })

  test('JWS-shaped text: base64url runs joined by dots', async () => {
    const shaped = fc.array(base64urlText, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'))
    await fc.assert(fc.asyncProperty(shaped, isRefusedWithReason), settings)
  })

  test('arbitrary JSON as header and payload, signed by a stranger under the issuer’s kid', async () => {
    const header = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({
        alg: fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256'),
        typ: fc.constantFrom('at+jwt', 'JWT'),
        kid: fc.constantFrom('k-fuzz', 'k-fuzz-es', 'other'),
      }),
    )
    const payload = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.constant(tokenClaims('http://127.0.0.1:1', 1_900_000_000)),
    )
    await fc.assert(
      fc.asyncProperty(header, payload, (headerValue, payloadValue) =>
        isRefusedWithReason(
          forgeJws(JSON.stringify(headerValue), JSON.stringify(payloadValue), signerOf(stranger)),
        ),
      ),
      settings,
    )
  })

  test('a valid token with one bit of its text flipped', async () => {
    const flipped = validToken().chain((token) =>
      fc.tuple(fc.constant(token), fc.nat({ max: token.length - 1 }), fc.integer({ min: 0, max: 15 })),
    )
    await fc.assert(
      fc.asyncProperty(flipped, async ([token, index, bit]) => {
        const character = String.fromCharCode(token.charCodeAt(index) ^ (1 << bit))
        return isRefusedWithReason(`${token.slice(0, index)}${character}${token.slice(index + 1)}`)
      }),
      settings,
    )
  })

  test('a valid token with one bit of a decoded segment flipped, re-encoded canonically', async () => {
    const flipped = fc.tuple(validToken(), fc.constantFrom(0, 1, 2), fc.nat(), fc.integer({ min: 0, max: 7 }))
    await fc.assert(
      fc.asyncProperty(flipped, async ([token, segment, position, bit]) => {
        const segments = token.split('.')
        const bytes = Buffer.from(segments[segment] ?? '', 'base64url')
        const index = position % bytes.length
        bytes[index] = (bytes[index] ?? 0) ^ (1 << bit)
        segments[segment] = b64u(bytes)
        return isRefusedWithReason(segments.join('.'))
      }),
      settings,
    )
  })

  test('segments swapped, repeated or spliced from two valid tokens', async () => {
    const spliced = fc.tuple(
      validToken(),
      validToken(),
      fc.array(fc.nat({ max: 5 }), { minLength: 2, maxLength: 5 }),
    )
    await fc.assert(
      fc.asyncProperty(spliced, async ([first, second, picks]) => {
        const pool = [...first.split('.'), ...second.split('.')]
        const token = picks.map((pick) => pool[pick] as string).join('.')
        // Picking header, payload and signature of the same token in order rebuilds it: not a mutation.
        if (token === first || token === second) return true
        return isRefusedWithReason(token)
      }),
      settings,
    )
  })

  test('a valid token truncated, or extended with junk', async () => {
    const cut = validToken().chain((token) =>
      fc.tuple(
        fc.constant(token),
        fc.nat({ max: token.length - 1 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
      ),
    )
    await fc.assert(
      fc.asyncProperty(cut, async ([token, length, junk]) => {
        const truncated = await isRefusedWithReason(token.slice(0, length))
        const extended = junk === '' ? true : await isRefusedWithReason(`${token}${junk}`)
        return truncated && extended
      }),
      settings,
    )
  })

  test('the whole fuzz cost no JWKS fetch beyond the first (cooldown), and polluted no prototype', () => {
    assert.equal(issuer.counts.jwks, 1)
    assert.equal(issuer.counts.metadata, 1)
    assert.equal(isPrototypeClean(), true)
  })
})
