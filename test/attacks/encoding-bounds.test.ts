import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createManualClock, generateSigningKey, toVerificationKey, verifyAccessToken } from '@tessera/core'
import { send } from '../guard/guard-fixtures.ts'
import { type AttackRig, ORDERS_SCOPE, observeRig, startAttackRig } from './support/attack-rig.ts'
import {
  assertRefusedQuietly,
  isPrototypeClean,
  type RefusalExpectation,
  refusalOf,
} from './support/nothing-changed.ts'
import { accessTokenHeader, b64u, forgeJws, signerOf } from './support/token-forge.ts'

/**
 * RFC 8725 §3.9 / SPEC §3 and §5 / OWASP ASVS 5.0 V1.5: the bounds of the token parser — nesting depth, the
 * 8 KiB token limit (inclusive), oversized headers — and prototype pollution through `__proto__` and
 * `constructor` members. Tokens are signed by the issuer's real key over the exact text, so only the parser's
 * bounds and its null-prototype objects can be what stops them.
 */
describe('attacks on the parser’s bounds and objects', () => {
  let rig: AttackRig
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  const headerText = (): string => JSON.stringify(accessTokenHeader(rig.serverKey))
  const claimsText = (overrides: Record<string, unknown> = {}): string =>
    JSON.stringify(rig.claims(overrides))
  const signedBytes = (header: string | Uint8Array, payload: string | Uint8Array): string =>
    forgeJws(header, payload, signerOf(rig.serverKey))

  interface Case {
    readonly name: string
    readonly token: () => string
    readonly expected: RefusalExpectation
  }
  const run = (cases: readonly Case[]): void => {
    for (const { name, token, expected } of cases) {
      test(`${name}: ${expected.reason}`, () => assertRefusedQuietly(rig, token(), expected))
    }
  }

  describe('depth and size bounds', () => {
    const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`
    run([
      {
        name: '2,000 nested arrays in a payload claim (inside 8 KiB)',
        token: () => signedBytes(headerText(), `${claimsText().slice(0, -1)},"deep":${nested(2000)}}`),
        expected: { reason: 'malformed' },
      },
      {
        name: '500 nested objects in the header',
        token: () =>
          signedBytes(`{"alg":"EdDSA","x":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`, claimsText()),
        expected: { reason: 'malformed' },
      },
      {
        name: '10,000 nested arrays in the payload',
        token: () => signedBytes(headerText(), `${claimsText().slice(0, -1)},"deep":${nested(10_000)}}`),
        // 20 KB of header is over node's own 16 KiB limit: the HTTP case is the 64 KiB one below.
        expected: { reason: 'token_too_large', http: null },
      },
      {
        name: 'a token of 8 KiB + 1 characters, otherwise valid',
        token: () => validTokenOfLength(rig, 8193),
        expected: { reason: 'token_too_large' },
      },
    ])

    test('10,000 nesting levels reach the parser when the size bound is lifted: malformed, no stack overflow', () => {
      const token = signedBytes(headerText(), `${claimsText().slice(0, -1)},"deep":${nested(10_000)}}`)
      const clock = createManualClock(rig.clock.nowSeconds())
      assert.throws(
        () =>
          verifyAccessToken(token, {
            keys: () => toVerificationKey(rig.serverKey),
            issuer: rig.issuer.url,
            audience: 'orders-api',
            maxLifetimeSeconds: 900,
            clock,
            maxLength: 1 << 20,
          }),
        (error: unknown) => (error as { code?: unknown }).code === 'malformed',
      )
    })

    test('a token of exactly 8 KiB is not refused for its size (the bound is inclusive)', async () => {
      const token = validTokenOfLength(rig, 8192)
      assert.equal((await rig.guard.verifyToken(token)).sub, 'usr_alice')
      const response = await send(rig.apiUrl, '/any', { headers: { authorization: `Bearer ${token}` } })
      assert.equal(response.status, 200)
    })

    test('a 64 KiB header: token_too_large from verifyToken; over HTTP node refuses it (431) before the guard', async () => {
      const token = signedBytes(
        JSON.stringify({ ...accessTokenHeader(rig.serverKey), x: 'h'.repeat(64 * 1024) }),
        claimsText(),
      )
      await assertRefusedQuietly(rig, token, { reason: 'token_too_large', http: null })
      const before = observeRig(rig)
      const response = await send(rig.apiUrl, '/any', { headers: { authorization: `Bearer ${token}` } })
      assert.equal(response.status, 431)
      assert.deepEqual(observeRig(rig), before)
    })
  })

  describe('prototype pollution through token JSON', () => {
    run([
      {
        name: '__proto__ as a header member',
        token: () =>
          signedBytes(
            `{"alg":"EdDSA","typ":"at+jwt","kid":"${rig.serverKey.kid}","__proto__":{"polluted":"yes"}}`,
            claimsText(),
          ),
        expected: { reason: 'malformed' },
      },
      {
        name: 'constructor as a header member',
        token: () =>
          signedBytes(
            `{"alg":"EdDSA","typ":"at+jwt","kid":"${rig.serverKey.kid}","constructor":{"prototype":{"polluted":"yes"}}}`,
            claimsText(),
          ),
        expected: { reason: 'malformed' },
      },
      {
        name: '__proto__ in a payload signed by a stranger under the issuer’s kid',
        token: () =>
          forgeJws(
            headerText(),
            `{"__proto__":{"polluted":"yes"},${claimsText().slice(1)}`,
            signerOf(generateSigningKey('EdDSA', 'stranger')),
          ),
        expected: { reason: 'bad_signature' },
      },
      {
        name: 'an issuer-signed token whose scope exists only under __proto__',
        token: () =>
          signedBytes(
            headerText(),
            `{"__proto__":{"scope":"${ORDERS_SCOPE}","polluted":"yes"},${claimsText({ scope: undefined }).slice(1)}`,
          ),
        expected: { reason: 'insufficient_scope', options: { scope: ORDERS_SCOPE } },
      },
    ])

    test('__proto__ and constructor claims in an issuer-signed token stay own data; Object.prototype is untouched', async () => {
      const payload = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${claimsText().slice(1)}`
      const claims = await rig.guard.verifyToken(signedBytes(headerText(), payload))
      assert.equal(Object.getPrototypeOf(claims), null)
      assert.ok(Object.hasOwn(claims, '__proto__'))
      assert.equal((claims as Record<string, unknown>).polluted, undefined)
      assert.equal(isPrototypeClean(), true)
    })

    test('after every token above, ({}).polluted is still undefined', async () => {
      await refusalOf(
        rig.guard,
        signedBytes(
          headerText(),
          `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`,
        ),
      )
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
      assert.equal(isPrototypeClean(), true)
    })
  })
})

// A valid, issuer-signed token of exactly `length` characters: a filler claim, and header whitespace for
// the lengths a payload alone cannot reach (no base64url text is 1 mod 4 long). An Ed25519 signature is
// always 86 characters, so only the matching candidate is signed.
function validTokenOfLength(rig: AttackRig, length: number): string {
  for (let spaces = 0; spaces < 4; spaces++) {
    const header = `{"alg":"EdDSA",${' '.repeat(spaces)}"typ":"at+jwt","kid":"${rig.serverKey.kid}"}`
    for (let filler = 0; filler < length; filler++) {
      const payload = JSON.stringify(rig.claims({ pad: 'p'.repeat(filler) }))
      const unsignedLength = b64u(header).length + b64u(payload).length + 2 + 86
      if (unsignedLength > length) break
      if (unsignedLength === length) {
        const token = forgeJws(header, payload, signerOf(rig.serverKey))
        assert.equal(token.length, length)
        return token
      }
    }
  }
  throw new Error(`no token of length ${length}`)
}
