import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey, type ReasonCode, type SigningKey } from '@tessera/core'
import { bearer, call } from '../support/test-server.ts'
import { type AttackRig, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly, databaseDigest } from './support/nothing-changed.ts'
import {
  accessTokenHeader,
  b64u,
  derEcdsaSigner,
  fixedSigner,
  forgeToken,
  hmacSigner,
  p1363ToDer,
  publicKeyEncodings,
  signatureOf,
  signerOf,
  withSegment,
} from './support/token-forge.ts'

/**
 * RFC 8725 §2.1–§3.2 and ASVS 5.0 V9.1: the algorithm is the key's, never the token's; unsigned tokens,
 * HMAC over a public key, psychic and malformed signatures are all refused before anything trusts the
 * payload — and refusing them costs no JWKS fetch, no feed call, no use counted.
 */
describe('attacks on the signature and the algorithm', () => {
  let rig: AttackRig
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  describe('alg "none" in every casing (RFC 8725 §3.1)', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      test(`alg ${alg} with a signature segment is unsupported_alg`, async () => {
        const header = { alg, typ: 'at+jwt', kid: rig.serverKey.kid }
        const token = forgeToken(header, rig.claims(), fixedSigner(randomBytes(64)))
        await assertRefusedQuietly(rig, token, { reason: 'unsupported_alg' })
      })

      test(`alg ${alg} without a signature segment ("h.p.") is malformed`, async () => {
        const token = forgeToken({ alg, typ: 'at+jwt', kid: rig.serverKey.kid }, rig.claims())
        assert.ok(token.endsWith('.'))
        await assertRefusedQuietly(rig, token, { reason: 'malformed' })
      })
    }
  })

  describe('HS256 with the issuer’s public key as the HMAC secret (RFC 8725 §2.1 key confusion)', () => {
    const keys = (): readonly SigningKey[] => [rig.serverKey, rig.esKey, rig.rsaKey]
    // The table is built per key once the rig exists; every encoding becomes its own test below.
    const encodingLabels = (alg: string): readonly string[] => {
      const base = ['JWK JSON as published', 'JWK JSON (node export)', 'PEM SPKI', 'DER SPKI']
      const raw =
        alg === 'EdDSA' ? ['raw x'] : alg === 'ES256' ? ['raw 04‖x‖y', 'raw x‖y', 'raw x'] : ['raw n']
      return [...base, ...raw].flatMap((label) => [label, `base64url(${label})`])
    }
    for (const [index, alg] of ['EdDSA', 'ES256', 'RS256'].entries()) {
      for (const label of encodingLabels(alg)) {
        test(`${alg} key → HS256, secret = ${label}: unsupported_alg`, async () => {
          const key = keys()[index] as SigningKey
          const secret = publicKeyEncodings(key).get(label)
          assert.ok(secret !== undefined, label)
          const token = forgeToken(
            { ...accessTokenHeader(key), alg: 'HS256' },
            rig.claims(),
            hmacSigner(secret),
          )
          await assertRefusedQuietly(rig, token, { reason: 'unsupported_alg' })
        })
      }
    }

    test('the RS256 key the issuer publishes is skipped at load, so an RS256 token has no key', async () => {
      assert.equal(rig.guard.health().keys.kids.includes(rig.rsaKey.kid), false)
      assert.ok(rig.guard.health().keys.kids.includes(rig.esKey.kid))
      const token = rig.sign(rig.claims(), rig.rsaKey)
      await assertRefusedQuietly(rig, token, { reason: 'unsupported_alg' })
    })

    test('the auth server’s own /v1/me refuses the same confusion, and no row changes', async () => {
      const file = rig.server.server.services.databaseFile as string
      const before = databaseDigest(file)
      const secret = publicKeyEncodings(rig.serverKey).get('PEM SPKI') as Buffer
      const header = { ...accessTokenHeader(rig.serverKey), alg: 'HS256' }
      const response = await call(rig.server.url, '/v1/me', {
        headers: bearer(forgeToken(header, rig.claims(), hmacSigner(secret))),
      })
      assert.equal(response.status, 401)
      assert.equal(response.body.reason, 'unsupported_alg')
      assert.equal(databaseDigest(file), before)
    })
  })

  describe('a header alg other than the key’s own (the key decides, RFC 8725 §3.1)', () => {
    const cases: readonly {
      name: string
      header: () => Record<string, unknown>
      signer: () => SigningKey
    }[] = [
      {
        name: 'ES256 named on the EdDSA key’s kid, signed by an ES256 key',
        header: () => ({ ...accessTokenHeader(rig.serverKey), alg: 'ES256' }),
        signer: () => generateSigningKey('ES256', 'attacker'),
      },
      {
        name: 'EdDSA named on the ES256 key’s kid, signed by an Ed25519 key',
        header: () => ({ ...accessTokenHeader(rig.esKey), alg: 'EdDSA' }),
        signer: () => generateSigningKey('EdDSA', 'attacker'),
      },
    ]
    for (const { name, header, signer } of cases) {
      test(`${name}: unsupported_alg`, async () => {
        const token = forgeToken(header(), rig.claims(), signerOf(signer()))
        await assertRefusedQuietly(rig, token, { reason: 'unsupported_alg' })
      })
    }
    for (const alg of ['eddsa', 'Ed25519', 'ES256 ', 'ES256K', 'ES384', 'PS256']) {
      test(`alg ${JSON.stringify(alg)} is not an accepted algorithm: unsupported_alg`, async () => {
        const token = forgeToken(
          { ...accessTokenHeader(rig.serverKey), alg },
          rig.claims(),
          fixedSigner(randomBytes(64)),
        )
        await assertRefusedQuietly(rig, token, { reason: 'unsupported_alg' })
      })
    }
  })

  describe('psychic and malleated signatures (CVE-2022-21449 and kin)', () => {
    // P-256 group order n and Ed25519 group order L (little-endian), RFC 8032 §5.1.
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
    const ed25519L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex')
    const word = (value: number): Buffer => Buffer.concat([Buffer.alloc(31), Buffer.from([value])])
    const cases: readonly { name: string; key: () => SigningKey; signature: (valid: Buffer) => Buffer }[] = [
      { name: 'ES256 r = s = 0 (64 zero bytes)', key: () => rig.esKey, signature: () => Buffer.alloc(64) },
      {
        name: 'ES256 r = 0, s = 1',
        key: () => rig.esKey,
        signature: () => Buffer.concat([word(0), word(1)]),
      },
      { name: 'ES256 r = s = n', key: () => rig.esKey, signature: () => Buffer.concat([n, n]) },
      {
        name: 'ES256 r = n, s from a valid signature',
        key: () => rig.esKey,
        signature: (valid) => Buffer.concat([n, valid.subarray(32)]),
      },
      {
        name: 'ES256 r = s = 2^256 − 1',
        key: () => rig.esKey,
        signature: () => Buffer.alloc(64, 0xff),
      },
      {
        name: 'ES256 the valid signature re-encoded as ASN.1 DER',
        key: () => rig.esKey,
        signature: (valid) => p1363ToDer(valid),
      },
      { name: 'EdDSA 64 zero bytes', key: () => rig.serverKey, signature: () => Buffer.alloc(64) },
      {
        name: 'EdDSA R = identity point, S = 0',
        key: () => rig.serverKey,
        signature: () => Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]),
      },
      {
        name: 'EdDSA S = L (not reduced, RFC 8032 §5.1.7)',
        key: () => rig.serverKey,
        signature: (valid) => Buffer.concat([valid.subarray(0, 32), ed25519L]),
      },
      {
        name: 'EdDSA S + L of a valid signature (malleability)',
        key: () => rig.serverKey,
        signature: (valid) =>
          Buffer.concat([valid.subarray(0, 32), addLittleEndian(valid.subarray(32), ed25519L)]),
      },
    ]
    for (const { name, key, signature } of cases) {
      test(`${name}: bad_signature`, async () => {
        const signer = key()
        const valid = rig.sign(rig.claims(), signer)
        const token = withSegment(valid, 2, b64u(signature(signatureOf(valid))))
        await assertRefusedQuietly(rig, token, { reason: 'bad_signature' })
      })
    }

    test('ES256 signed with the right key but DER encoding from the start: bad_signature', async () => {
      const token = forgeToken(accessTokenHeader(rig.esKey), rig.claims(), derEcdsaSigner(rig.esKey.key))
      assert.notEqual(signatureOf(token).length, 64)
      await assertRefusedQuietly(rig, token, { reason: 'bad_signature' })
    })
  })

  describe('signatures of the wrong length (RFC 7518 §3.4: exactly 64 bytes)', () => {
    const lengths: readonly { bytes: number; reason: ReasonCode }[] = [
      { bytes: 63, reason: 'bad_signature' },
      { bytes: 65, reason: 'bad_signature' },
      { bytes: 128, reason: 'bad_signature' },
      // An empty third segment is not a compact JWS at all.
      { bytes: 0, reason: 'malformed' },
    ]
    for (const alg of ['EdDSA', 'ES256'] as const) {
      for (const { bytes, reason } of lengths) {
        test(`${alg} with a ${bytes}-byte signature derived from a valid one: ${reason}`, async () => {
          const valid = rig.sign(rig.claims(), alg === 'EdDSA' ? rig.serverKey : rig.esKey)
          const signature = signatureOf(valid)
          const resized =
            bytes <= 64
              ? signature.subarray(0, bytes)
              : Buffer.concat([signature, signature]).subarray(0, bytes)
          await assertRefusedQuietly(rig, withSegment(valid, 2, b64u(resized)), { reason })
        })
      }
    }
  })

  describe('a signature from another key of the same algorithm, under the issuer’s kid', () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      test(`${alg}: bad_signature`, async () => {
        const real = alg === 'EdDSA' ? rig.serverKey : rig.esKey
        const impostor = { ...generateSigningKey(alg, 'attacker'), kid: real.kid }
        await assertRefusedQuietly(rig, rig.sign(rig.claims(), impostor), { reason: 'bad_signature' })
      })
    }

    test('the genuine token still passes, so the refusals above are about the signature', async () => {
      const claims = await rig.guard.verifyToken(rig.sign(rig.claims(), rig.esKey))
      assert.equal(claims.sub, 'usr_alice')
      assert.equal((await rig.guard.verifyToken(rig.user.accessToken)).sub, rig.user.userId)
    })
  })
})

// Adds two little-endian 256-bit integers (mod 2^256): S + L for the Ed25519 malleability case.
function addLittleEndian(left: Uint8Array, right: Uint8Array): Buffer {
  const sum = Buffer.alloc(32)
  let carry = 0
  for (let index = 0; index < 32; index++) {
    const total = (left[index] ?? 0) + (right[index] ?? 0) + carry
    sum[index] = total & 0xff
    carry = total >> 8
  }
  return sum
}
