import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  type ReasonCode,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, type VerifyTokenOptions } from '@tessera/guard'
import { AUDIENCE, send, tokenClaims } from '../guard/guard-fixtures.ts'
import { type LoopbackIssuer, startLoopbackIssuer } from '../guard/loopback-issuer.ts'
import { assertRefusalResponse, refusalOf } from './support/nothing-changed.ts'

/**
 * RFC 7519 §4.1.4–4.1.6 and RFC 8725 §3.10 with an injected clock: `exp`, `nbf` and `iat` around the
 * leeway (exactly at it, one second over), a cached token expiring at the same instant as a fresh one,
 * lifetimes beyond the configured bound, and a route's `maxAge`. The clock is the guard's own manual clock;
 * nothing sleeps.
 */
describe('attacks on time claims, with the clock injected', () => {
  const T = 1_900_000_000
  const leeway = 5
  const key = generateSigningKey('EdDSA', 'k-time')
  let clock: ManualClock
  let issuer: LoopbackIssuer
  let guard: Guard
  let shortGuard: Guard
  let api: Server
  let apiUrl: string

  before(async () => {
    clock = createManualClock(T)
    issuer = await startLoopbackIssuer()
    issuer.setJwks([exportPublicJwk(key)])
    // A day between background refreshes: moving the clock here must not look like a due JWKS refresh.
    const common = { issuer: issuer.url, audience: AUDIENCE, clock, jwksRefreshSeconds: 86_400 }
    guard = createGuard({ ...common, leewaySeconds: leeway })
    shortGuard = createGuard({ ...common, leewaySeconds: 0, maxTokenLifetimeSeconds: 300 })
    await guard.verifyToken(mint())
    await shortGuard.verifyToken(mint({ exp: T + 300 }))
    api = createServer(guard.node((request, response) => response.end(request.auth.subject)))
    api.listen(0, '127.0.0.1')
    await once(api, 'listening')
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  })
  after(async () => {
    api.closeAllConnections()
    api.close()
    await Promise.all([guard.close(), shortGuard.close()])
    await issuer.close()
  })

  function mint(overrides: Record<string, unknown> = {}): string {
    return signAccessToken(tokenClaims(issuer.url, T, overrides), key)
  }

  async function assertAccepted(token: string, at: number, options?: VerifyTokenOptions): Promise<void> {
    clock.set(at)
    assert.equal((await guard.verifyToken(token, options)).sub, 'usr_alice')
  }

  async function assertRefused(
    token: string,
    at: number,
    reason: ReasonCode,
    options: { readonly verify?: VerifyTokenOptions; readonly guard?: Guard } = {},
  ): Promise<void> {
    clock.set(at)
    const target = options.guard ?? guard
    const before = { counts: { ...issuer.counts }, health: target.health() }
    assert.equal((await refusalOf(target, token, options.verify)).reason, reason)
    if (options.verify === undefined && target === guard) {
      assertRefusalResponse(
        await send(apiUrl, '/any', { headers: { authorization: `Bearer ${token}` } }),
        reason,
      )
    }
    assert.deepEqual({ counts: { ...issuer.counts }, health: target.health() }, before)
  }

  describe('exp (RFC 7519 §4.1.4: usable only before it; the leeway absorbs skew)', () => {
    const exp = T + 600
    test('one second before exp + leeway: accepted', () => assertAccepted(mint({ exp }), exp + leeway - 1))
    test('exactly at exp + leeway: expired', () => assertRefused(mint({ exp }), exp + leeway, 'expired'))
    test('a token accepted and cached one second earlier is expired at exp + leeway too', async () => {
      const token = mint({ exp })
      await assertAccepted(token, exp + leeway - 1)
      await assertRefused(token, exp + leeway, 'expired')
    })
    test('exp at the epoch (1): expired', () => assertRefused(mint({ exp: 1, iat: 0 }), T, 'expired'))
    test('with leeway 0, exactly at exp: expired', () =>
      assertRefused(mint({ exp: T + 300 }), T + 300, 'expired', { guard: shortGuard }))
  })

  describe('nbf and iat (not usable before; iat not in the future beyond the leeway)', () => {
    test('nbf = now + leeway: accepted', () => assertAccepted(mint({ nbf: T + leeway }), T))
    test('nbf = now + leeway + 1: not_yet_valid', () =>
      assertRefused(mint({ nbf: T + leeway + 1 }), T, 'not_yet_valid'))
    test('iat = now + leeway: accepted', () =>
      assertAccepted(mint({ iat: T + leeway, exp: T + leeway + 600 }), T))
    test('iat = now + leeway + 1: not_yet_valid', () =>
      assertRefused(mint({ iat: T + leeway + 1, exp: T + 600 }), T, 'not_yet_valid'))
    test('iat a year ahead with a matching exp: not_yet_valid', () =>
      assertRefused(mint({ iat: T + 31_536_000, exp: T + 31_536_600 }), T, 'not_yet_valid'))
    test('with leeway 0, nbf one second ahead: not_yet_valid', () =>
      assertRefused(mint({ nbf: T + 1, exp: T + 300 }), T, 'not_yet_valid', { guard: shortGuard }))
  })

  describe('lifetime abuse (exp − iat beyond the configured bound, SPEC §5)', () => {
    test('exp − iat = 900 (the bound): accepted', () => assertAccepted(mint({ exp: T + 900 }), T))
    test('exp − iat = 901: lifetime_exceeded', () =>
      assertRefused(mint({ exp: T + 901 }), T, 'lifetime_exceeded'))
    test('a ten-year token: lifetime_exceeded', () =>
      assertRefused(mint({ exp: T + 315_360_000 }), T, 'lifetime_exceeded'))
    test('iat backdated so that a short remaining life hides a long lifetime: lifetime_exceeded', () =>
      assertRefused(mint({ iat: T - 10_000, exp: T + 100 }), T, 'lifetime_exceeded'))
    test('a guard configured for 300 s refuses exp − iat = 301: lifetime_exceeded', () =>
      assertRefused(mint({ exp: T + 301 }), T, 'lifetime_exceeded', { guard: shortGuard }))
  })

  describe('a route maxAge, measured from iat', () => {
    const verify = { maxAge: 60 } as const
    test('iat exactly maxAge ago: accepted', () => assertAccepted(mint(), T + 60, verify))
    test('iat maxAge + 1 ago: too_old', () => assertRefused(mint(), T + 61, 'too_old', { verify }))
    test('the cached token turns too_old at a fresher route while still valid elsewhere', async () => {
      const token = mint()
      await assertAccepted(token, T + 61)
      await assertRefused(token, T + 61, 'too_old', { verify: { maxAge: '1m' } })
    })
  })
})
