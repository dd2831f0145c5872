import assert from 'node:assert/strict'
import { createPublicKey, randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  createDpopProof,
  exportPublicJwk,
  generateSigningKey,
  type ReasonCode,
  type SigningKey,
} from '@tessera/core'
import { GuardError } from '@tessera/guard'
import { waitFor } from '../guard/guard-fixtures.ts'
import { type AttackRig, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly, refusalOf } from './support/nothing-changed.ts'
import { accessTokenHeader, b64u, forgeToken, signerOf } from './support/token-forge.ts'

/**
 * SPEC §2: the header may carry `alg`, `typ` and `kid`, nothing else. Headers that name a key (`jwk`,
 * `x5c`, `jku`, `x5u` — RFC 8725 §3.10 / ASVS 5.0 V9.1.3) must be refused, never followed; `kid` is looked
 * up, never interpreted; `crit`, `b64` and other serialisations are refused; and a flood of made-up `kid`s
 * costs at most one JWKS fetch per cooldown.
 */
describe('attacks through the JWS header', () => {
  let rig: AttackRig
  const attacker = generateSigningKey('EdDSA', 'k-attacker')
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  describe('headers that carry or point at a key are refused, not used', () => {
    const cases: readonly {
      name: string
      header: () => Record<string, unknown>
      signer: () => SigningKey
    }[] = [
      {
        name: 'jwk: the attacker’s public key, signed by it',
        header: () => ({ alg: 'EdDSA', typ: 'at+jwt', jwk: exportPublicJwk(attacker) }),
        signer: () => attacker,
      },
      {
        name: 'jwk plus the attacker’s kid',
        header: () => ({ ...accessTokenHeader(attacker), jwk: exportPublicJwk(attacker) }),
        signer: () => attacker,
      },
      {
        name: 'x5c: the attacker’s key in a certificate chain slot',
        header: () => ({
          ...accessTokenHeader(attacker),
          x5c: [createPublicKey(attacker.key).export({ type: 'spki', format: 'der' }).toString('base64')],
        }),
        signer: () => attacker,
      },
      {
        name: 'jku: a JWKS URL on a loopback listener',
        header: () => ({ ...accessTokenHeader(attacker), jku: `${rig.trap.url}/jwks.json` }),
        signer: () => attacker,
      },
      {
        name: 'x5u: a certificate URL on a loopback listener',
        header: () => ({ ...accessTokenHeader(attacker), x5u: `${rig.trap.url}/cert.pem` }),
        signer: () => attacker,
      },
      {
        name: 'jku on a token the issuer really signed (refused for the member, not the signature)',
        header: () => ({ ...accessTokenHeader(rig.serverKey), jku: `${rig.trap.url}/jwks.json` }),
        signer: () => rig.serverKey,
      },
    ]
    for (const { name, header, signer } of cases) {
      test(`${name}: malformed, and the listener hears nothing`, async () => {
        const token = forgeToken(header(), rig.claims(), signerOf(signer()))
        await assertRefusedQuietly(rig, token, { reason: 'malformed' })
        assert.equal(rig.trap.hits(), 0)
      })
    }
  })

  describe('kid is a lookup key, never a path, query or command', () => {
    const stringKids: readonly string[] = [
      '../../dev/null',
      '../../../../../../etc/passwd',
      "' OR 1=1--",
      "x' UNION SELECT 'secret' --",
      '$(id)',
      '`id`',
      '; rm -rf / #',
      'http://127.0.0.1:1/jwks.json',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      '',
      'k\u0000-nul-escaped',
      'x'.repeat(4000),
    ]
    for (const kid of stringKids) {
      test(`kid ${JSON.stringify(kid.length > 40 ? `${kid.slice(0, 12)}… (${kid.length} chars)` : kid)}: unknown_key`, async () => {
        const token = forgeToken({ alg: 'EdDSA', typ: 'at+jwt', kid }, rig.claims(), signerOf(attacker))
        await assertRefusedQuietly(rig, token, { reason: 'unknown_key' })
      })
    }

    test('no kid at all: unknown_key (the guard never guesses a key)', async () => {
      const token = forgeToken({ alg: 'EdDSA', typ: 'at+jwt' }, rig.claims(), signerOf(rig.serverKey))
      await assertRefusedQuietly(rig, token, { reason: 'unknown_key' })
    })

    test('a 10 KiB kid: token_too_large before any parsing', async () => {
      const kid = 'k'.repeat(10 * 1024)
      const token = forgeToken({ alg: 'EdDSA', typ: 'at+jwt', kid }, rig.claims(), signerOf(attacker))
      await assertRefusedQuietly(rig, token, { reason: 'token_too_large' })
    })

    const nonStringKids: readonly unknown[] = [42, 1.5, { id: 'k' }, ['k'], null, true]
    for (const kid of nonStringKids) {
      test(`kid ${JSON.stringify(kid)} (not a string): malformed`, async () => {
        const header = { alg: 'EdDSA', typ: 'at+jwt', kid }
        await assertRefusedQuietly(rig, forgeToken(header, rig.claims(), signerOf(attacker)), {
          reason: 'malformed',
        })
      })
    }
  })

  describe('members that change how the JWS is processed', () => {
    const cases: readonly { name: string; extra: Record<string, unknown> }[] = [
      { name: 'crit naming a claim', extra: { crit: ['exp'] } },
      { name: 'crit with an empty list', extra: { crit: [] } },
      { name: 'b64: false with crit (RFC 7797 unencoded payload)', extra: { b64: false, crit: ['b64'] } },
      { name: 'b64: false alone', extra: { b64: false } },
      { name: 'zip: DEF', extra: { zip: 'DEF' } },
      { name: 'cty: JWT (nested token)', extra: { cty: 'JWT' } },
      { name: 'x5t#S256', extra: { 'x5t#S256': b64u(randomBytes(32)) } },
    ]
    for (const { name, extra } of cases) {
      test(`${name} on an issuer-signed token: malformed`, async () => {
        const token = rig.sign(rig.claims(), rig.serverKey, { ...accessTokenHeader(rig.serverKey), ...extra })
        await assertRefusedQuietly(rig, token, { reason: 'malformed' })
      })
    }
  })

  describe('other serialisations presented as the token', () => {
    const compact = (): string[] => rig.sign(rig.claims()).split('.')
    const cases: readonly { name: string; token: () => string; http?: ReasonCode }[] = [
      {
        name: 'JWS JSON serialisation, flattened (RFC 7515 §7.2.2)',
        token: () => {
          const [header, payload, signature] = compact()
          return JSON.stringify({ protected: header, payload, signature })
        },
        http: 'invalid_request',
      },
      {
        name: 'JWS JSON serialisation, general (RFC 7515 §7.2.1)',
        token: () => {
          const [header, payload, signature] = compact()
          return JSON.stringify({ payload, signatures: [{ protected: header, signature }] })
        },
        http: 'invalid_request',
      },
      {
        name: 'base64url of the flattened JSON serialisation',
        token: () => {
          const [header, payload, signature] = compact()
          return b64u(JSON.stringify({ protected: header, payload, signature }))
        },
      },
      {
        name: 'a JWE-shaped token (5 segments) naming the issuer’s kid',
        token: () => {
          const header = b64u(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: rig.serverKey.kid }))
          return [header, '', b64u(randomBytes(12)), b64u(randomBytes(64)), b64u(randomBytes(16))].join('.')
        },
      },
      {
        name: 'a JWE-shaped token (5 segments) wrapping a real access token',
        token: () => {
          const header = b64u(JSON.stringify({ alg: 'RSA-OAEP', enc: 'A256GCM', cty: 'JWT' }))
          return [
            header,
            b64u(randomBytes(256)),
            b64u(randomBytes(12)),
            compact().join(''),
            b64u(randomBytes(16)),
          ].join('.')
        },
      },
      { name: 'four segments', token: () => [...compact(), compact()[2]].join('.') },
      { name: 'two segments (no signature part)', token: () => compact().slice(0, 2).join('.') },
      { name: 'a DPoP proof (its header carries jwk)', token: () => dpopProof(rig) },
    ]
    for (const { name, token, http } of cases) {
      test(`${name}: malformed`, async () => {
        await assertRefusedQuietly(rig, token(), { reason: 'malformed', ...(http ? { http } : {}) })
      })
    }
  })

  // Last: it moves the shared clock past the JWKS cooldown.
  test('a flood of injected kids after the cooldown costs exactly one JWKS fetch, and none at the trap', async () => {
    rig.clock.advance(31)
    rig.issuer.ping(rig.clock.nowSeconds()) // keep the feed live across the jump of the manual clock
    await waitFor(() => rig.guard.health().revocation.lastEventAt === rig.clock.nowSeconds())
    const before = { ...rig.issuer.counts }
    const kids = Array.from({ length: 50 }, (_, index) => `../../${index}' OR 1=1--$(id)`)
    const reasons = await Promise.all(
      kids.map((kid) =>
        refusalOf(
          rig.guard,
          forgeToken({ alg: 'EdDSA', typ: 'at+jwt', kid }, rig.claims(), signerOf(attacker)),
        ),
      ),
    )
    assert.ok(reasons.every((error) => error instanceof GuardError && error.reason === 'unknown_key'))
    await waitFor(() => rig.issuer.counts.jwks > before.jwks).catch(() => {})
    assert.deepEqual(rig.issuer.counts, { ...before, jwks: before.jwks + 1 })
    assert.equal(rig.trap.hits(), 0)
  })
})

function dpopProof(rig: AttackRig): string {
  const holder = generateSigningKey('EdDSA', 'holder')
  const jwk = exportPublicJwk(holder)
  return createDpopProof({
    privateKey: holder.key,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string },
    alg: 'EdDSA',
    method: 'GET',
    url: `${rig.apiUrl}/any`,
    nowSeconds: rig.clock.nowSeconds(),
    jti: b64u(randomBytes(16)),
  })
}
