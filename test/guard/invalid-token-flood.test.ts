import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  type SigningKey,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, GuardError } from '@tessera/guard'
import { AUDIENCE, tokenClaims, waitFor } from './guard-fixtures.ts'
import { CLIENT, type LoopbackIssuer, startLoopbackIssuer } from './loopback-issuer.ts'

const floodSize = 10_000

/**
 * SPEC §5: a flood of invalid tokens costs no store call and no key fetch beyond the cooldown. Every call
 * the guard makes to its issuer is counted at the loopback server.
 */
describe('invalid-token flood', () => {
  const key = generateSigningKey('EdDSA', 'k-live')
  const impostor = generateSigningKey('EdDSA', 'k-live')
  const strangers = Array.from({ length: 8 }, (_, index) =>
    generateSigningKey('EdDSA', `k-stranger-${index}`),
  )
  let issuer: LoopbackIssuer
  let clock: ManualClock
  let guard: Guard

  before(async () => {
    issuer = await startLoopbackIssuer()
    issuer.setJwks([exportPublicJwk(key)])
    clock = createManualClock(Math.floor(Date.now() / 1000))
    guard = createGuard({ issuer: issuer.url, audience: AUDIENCE, client: CLIENT, clock })
    await guard.verifyToken(signAccessToken(tokenClaims(issuer.url, clock.nowSeconds()), key))
    await waitFor(() => guard.health().revocation.state === 'live')
  })
  after(async () => {
    await guard.close()
    await issuer.close()
  })

  function invalidToken(index: number): { token: string; reasons: readonly string[] } {
    const claims = tokenClaims(issuer.url, clock.nowSeconds(), { max_uses: 1, sid: `ses_${index}` })
    switch (index % 3) {
      case 0:
        return index % 2 === 0
          ? { token: randomBytes(64).toString('base64url'), reasons: ['malformed'] }
          : {
              token: `${randomBytes(24).toString('base64url')}.e30.${randomBytes(8).toString('base64url')}`,
              reasons: ['malformed'],
            }
      case 1:
        return { token: signAccessToken(claims, impostor), reasons: ['bad_signature'] }
      default: {
        // A fresh made-up kid every time, as an attacker probing for refetches would send.
        const stranger = strangers[index % strangers.length] as SigningKey
        const renamed = { ...stranger, kid: `k-${index}-${randomBytes(6).toString('hex')}` }
        return { token: signAccessToken(claims, renamed), reasons: ['unknown_key'] }
      }
    }
  }

  async function flood(): Promise<Map<string, number>> {
    const reasons = new Map<string, number>()
    for (let start = 0; start < floodSize; start += 500) {
      const batch = Array.from({ length: 500 }, (_, offset) => invalidToken(start + offset))
      const outcomes = await Promise.all(
        batch.map(({ token }) =>
          guard.verifyToken(token).then(
            () => 'accepted',
            (error: unknown) => error,
          ),
        ),
      )
      outcomes.forEach((outcome, offset) => {
        assert.ok(outcome instanceof GuardError, 'every flood token is refused')
        assert.ok(batch[offset]?.reasons.includes(outcome.reason), outcome.reason)
        reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1)
      })
    }
    return reasons
  }

  test('10,000 invalid tokens: no use-counter or feed call, no JWKS fetch inside the cooldown', async () => {
    const before = { ...issuer.counts }
    const reasons = await flood()
    assert.equal(
      [...reasons.values()].reduce((sum, count) => sum + count, 0),
      floodSize,
    )
    assert.deepEqual(issuer.counts, before)
    assert.equal(before.jwks, 1)
    assert.equal(before.feedConnections, 1)
    assert.equal(before.tokenUses, 0)
  })

  test('after the cooldown the next flood costs exactly one JWKS fetch', async () => {
    clock.advance(30)
    issuer.ping(clock.nowSeconds()) // keep the feed live across the jump of the manual clock
    await waitFor(() => guard.health().revocation.state === 'live')
    const before = { ...issuer.counts }
    await flood()
    // The refetch may still be on its way to the issuer when the last refusal returns (a loaded machine).
    await waitFor(() => issuer.counts.jwks > before.jwks).catch(() => {})
    assert.equal(issuer.counts.jwks, before.jwks + 1)
    assert.equal(issuer.counts.tokenUses, 0)
    assert.equal(issuer.counts.feedConnections, before.feedConnections)
  })
})
