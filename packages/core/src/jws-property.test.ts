import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { verifyAccessToken } from './access-token.ts'
import { signAccessToken } from './access-token-sign.ts'
import { createManualClock } from './clock.ts'
import { TesseraError } from './errors.ts'
import { parseCompactJws } from './jws-parse.ts'
import { verifyJws } from './jws-verify.ts'
import { generateSigningKey, toVerificationKey } from './keys.ts'
import { parseStrictJson } from './strict-json.ts'

// Seeded and bounded: a failure reproduces exactly, and the suite stays fast.
const settings = { seed: 0x7e55e7a, numRuns: 1500 } as const

const isTesseraRefusal = (error: unknown): boolean => error instanceof TesseraError

// Characters that matter to the grammars under test, mixed with arbitrary UTF-16 (lone surrogates included).
const interesting = fc.constantFrom(
  ...[
    '.',
    '=',
    ' ',
    '\n',
    '\t',
    '+',
    '/',
    '-',
    '_',
    'A',
    'Q',
    'w',
    '0',
    '{',
    '}',
    '[',
    ']',
    '"',
    '\\',
    ':',
    ',',
  ],
  ...['\u0000', '\u00a0', '\ufeff', '\ud800', '\udc00', 'é', 'e', '1', 'n', 'u', 'l'],
)
const chars = fc.oneof(interesting, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
const messyText = fc.array(chars, { maxLength: 120 }).map((parts) => parts.join(''))

function throwsOnlyTesseraErrors(run: () => unknown): boolean {
  try {
    run()
    return true
  } catch (error) {
    return isTesseraRefusal(error)
  }
}

function agreesWithJsonParse(text: string): boolean {
  let strict: unknown
  try {
    strict = parseStrictJson(text)
  } catch (error) {
    return isTesseraRefusal(error)
  }
  // Whatever the strict parser accepts, JSON.parse accepts with the same meaning.
  return JSON.stringify(strict) === JSON.stringify(JSON.parse(text))
}

describe('parseStrictJson properties', () => {
  test('accepts every generated JSON document and reads it like JSON.parse', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        const parsed = parseStrictJson(text)
        return JSON.stringify(parsed) === JSON.stringify(JSON.parse(text))
      }),
      settings,
    )
  })

  test('on arbitrary or mutated text throws only TesseraError and never disagrees with JSON.parse', () => {
    const mutatedJson = fc
      .tuple(fc.json({ maxDepth: 4 }), fc.nat(), chars, fc.constantFrom('replace', 'insert', 'delete'))
      .map(([text, at, char, how]) => mutate(text, at, char, how))
    fc.assert(fc.property(fc.oneof(messyText, mutatedJson), agreesWithJsonParse), settings)
  })
})

function mutate(text: string, at: number, char: string, how: 'replace' | 'insert' | 'delete'): string {
  const index = text.length === 0 ? 0 : at % text.length
  if (how === 'insert') return text.slice(0, index) + char + text.slice(index)
  if (how === 'delete') return text.slice(0, index) + text.slice(index + 1)
  return text.slice(0, index) + char + text.slice(index + 1)
}

describe('compact JWS properties', () => {
  const now = 1_700_000_000
  const claims = {
    iss: 'https://auth.example',
    sub: 'usr_1',
    aud: 'orders-api',
    exp: now + 900,
    iat: now,
    jti: 'jti-1',
    client_id: 'web',
  }

  test('parseCompactJws on arbitrary text throws only TesseraError', () => {
    const tokenLike = fc
      .array(fc.oneof(messyText, fc.base64String(), fc.constant('eyJhbGciOiJFZERTQSJ9')), { maxLength: 5 })
      .map((segments) => segments.join('.'))
    fc.assert(
      fc.property(fc.oneof(messyText, tokenLike), (text) =>
        throwsOnlyTesseraErrors(() => parseCompactJws(text)),
      ),
      settings,
    )
  })

  for (const alg of ['EdDSA', 'ES256'] as const) {
    test(`no mutation of a valid ${alg} token verifies`, () => {
      const signingKey = generateSigningKey(alg, 'k1')
      const verificationKey = toVerificationKey(signingKey)
      const token = signAccessToken(claims, signingKey)
      const options = {
        keys: () => verificationKey,
        issuer: claims.iss,
        audience: 'orders-api',
        maxLifetimeSeconds: 900,
        clock: createManualClock(now + 1),
      }
      assert.equal(verifyAccessToken(token, options).sub, 'usr_1')
      const mutation = fc
        .tuple(fc.nat(), chars, fc.constantFrom('replace', 'insert', 'delete'))
        .map(([at, char, how]) => mutate(token, at, char, how))
        .filter((mutated) => mutated !== token)
      fc.assert(
        fc.property(mutation, (mutated) => {
          assert.throws(() => verifyAccessToken(mutated, options), isTesseraRefusal)
          assert.throws(() => verifyJws(mutated, () => verificationKey), isTesseraRefusal)
        }),
        settings,
      )
    })
  }
})
