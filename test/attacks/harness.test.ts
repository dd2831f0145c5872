import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey } from '@tessera/core'
import { type AttackRig, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly } from './support/nothing-changed.ts'
import { forgeToken, signerOf } from './support/token-forge.ts'

/**
 * The attack files rest on `assertRefusedQuietly`; these cases prove it can fail — on an accepted token, on
 * a wrong reason, on a wrong HTTP answer and on a key fetch — so that a passing attack file means something.
 */
describe('the attack harness notices what it must', () => {
  let rig: AttackRig
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  test('an accepted token fails the assertion', async () => {
    await assert.rejects(assertRefusedQuietly(rig, rig.user.accessToken, { reason: 'malformed' }), /accepted/)
  })

  test('a refusal for another reason fails the assertion', async () => {
    await assert.rejects(assertRefusedQuietly(rig, 'not-a-token', { reason: 'bad_signature' }), /malformed/)
  })

  test('an HTTP answer with another reason fails the assertion', async () => {
    // A JSON serialisation is malformed to verifyToken but a 400 over HTTP: claiming the same reason must fail.
    await assert.rejects(assertRefusedQuietly(rig, '{"payload":"e30"}', { reason: 'malformed' }))
  })

  // Last: it moves the shared clock past the JWKS cooldown, so the next unknown kid does cost a fetch.
  test('a refusal that fetched the JWKS fails the assertion', async () => {
    rig.clock.advance(31)
    rig.issuer.ping(rig.clock.nowSeconds())
    const attacker = generateSigningKey('EdDSA', 'k-unknown')
    const token = forgeToken(
      { alg: 'EdDSA', typ: 'at+jwt', kid: attacker.kid },
      rig.claims(),
      signerOf(attacker),
    )
    await assert.rejects(assertRefusedQuietly(rig, token, { reason: 'unknown_key' }), /cost a call/)
  })
})
