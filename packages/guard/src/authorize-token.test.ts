import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type AccessTokenClaims,
  createManualClock,
  generateSigningKey,
  type ManualClock,
  signAccessToken,
  toVerificationKey,
} from '@tessera/core'
import { type Authorize, createAuthorizer } from './authorize-token.ts'
import { createBindingChecks } from './binding-checks.ts'
import { createDpopCheck } from './dpop-check.ts'
import { GuardError } from './guard-errors.ts'
import { resolveGuardOptions } from './guard-options.ts'
import type { KeySource } from './key-source.ts'
import { RevocationState } from './revocation-state.ts'
import { type RouteOptions, resolveRoutePolicy } from './route-policy.ts'
import { TokenCache } from './token-cache.ts'

const issuer = 'http://localhost:8080'
const signingKey = generateSigningKey('EdDSA', 'k-1')
const verificationKey = toVerificationKey(signingKey)

interface Rig {
  readonly authorize: Authorize
  readonly clock: ManualClock
  readonly state: RevocationState
  readonly cache: TokenCache
  /** How many times the key resolver ran: once per signature check. */
  readonly signatureChecks: () => number
  readonly usesConsumed: () => number
}

function createRig(maxEntries = 100): Rig {
  const clock = createManualClock(1_764_400_000)
  const options = resolveGuardOptions({ issuer, audience: 'orders-api', clock, jwks: { keys: [] } })
  let resolves = 0
  let uses = 0
  const keys: KeySource = {
    resolve: (header) => {
      resolves++
      return header.kid === 'k-1' ? verificationKey : undefined
    },
    whenReady: () => undefined,
    refetchForUnknownKey: () => Promise.resolve(false),
    refreshSoon: () => undefined,
    health: () => ({ count: 1, kids: ['k-1'], lastFetchAt: undefined }),
    close: () => undefined,
  }
  const state = new RevocationState(905)
  const cache = new TokenCache(maxEntries)
  const authorize = createAuthorizer({
    options,
    keys,
    cache,
    revocation: {
      check: (claims) => {
        state.check(claims)
        return undefined
      },
      health: () => ({ connected: true, lastEventAt: 0, state: 'live' }),
      close: () => Promise.resolve(),
    },
    bindings: createBindingChecks(options),
    checkDpop: createDpopCheck(options).check,
    consumeUse: async () => {
      uses++
    },
  })
  return { authorize, clock, state, cache, signatureChecks: () => resolves, usesConsumed: () => uses }
}

function mint(rig: Rig, overrides: Partial<Record<keyof AccessTokenClaims, unknown>> = {}): string {
  const now = rig.clock.nowSeconds()
  const claims = {
    iss: issuer,
    sub: 'usr_1',
    aud: 'orders-api',
    exp: now + 600,
    iat: now,
    jti: `j-${now}-${Math.random()}`,
    client_id: 'web',
    sid: 'ses_1',
    scope: 'orders:read',
    ...overrides,
  }
  return signAccessToken(claims as AccessTokenClaims, signingKey)
}

const request = { method: 'GET', path: '/orders', headers: {} }
const policy = (options?: RouteOptions) => resolveRoutePolicy(options, 'orders-api')

async function reasonOf(rig: Rig, token: string, options?: RouteOptions, path = '/orders'): Promise<string> {
  try {
    await rig.authorize(token, policy(options), { ...request, path })
    return 'accepted'
  } catch (error) {
    assert.ok(error instanceof GuardError, String(error))
    return error.reason
  }
}

describe('authorize: the verified-token cache', () => {
  test('a repeat skips the signature check, and only that', async () => {
    const rig = createRig()
    const token = mint(rig)
    assert.equal(await reasonOf(rig, token), 'accepted')
    assert.equal(await reasonOf(rig, token), 'accepted')
    assert.equal(rig.signatureChecks(), 1)
    assert.equal(rig.cache.size, 1)
  })

  test('a session revoked after the first sight is refused on a cache hit', async () => {
    const rig = createRig()
    const token = mint(rig)
    assert.equal(await reasonOf(rig, token), 'accepted')
    rig.state.revokeSessions(['ses_1'], rig.clock.nowSeconds(), rig.clock.nowSeconds())
    assert.equal(await reasonOf(rig, token), 'session_revoked')
    rig.state.setUserNotBefore('usr_1', rig.clock.nowSeconds() + 1, rig.clock.nowSeconds())
    assert.equal(await reasonOf(rig, mint(rig, { sid: 'ses_2' })), 'revoked')
    assert.equal(rig.signatureChecks(), 2)
  })

  test('the clock moving on is honoured on a hit: maxAge, then expiry (the entry leaves at exp)', async () => {
    const rig = createRig()
    const token = mint(rig)
    assert.equal(await reasonOf(rig, token, { maxAge: '1m' }), 'accepted')
    rig.clock.advance(61)
    assert.equal(await reasonOf(rig, token, { maxAge: '1m' }), 'too_old')
    assert.equal(await reasonOf(rig, token), 'accepted')
    assert.equal(rig.signatureChecks(), 1)
    rig.clock.advance(539)
    assert.equal(rig.cache.get(token, rig.clock.nowSeconds()), undefined, 'gone at exp')
    assert.equal(await reasonOf(rig, token), 'accepted', 'within the 5 s leeway, verified afresh')
    rig.clock.advance(5)
    assert.equal(await reasonOf(rig, token), 'expired')
  })

  test('route audience, scope, path binding and use limits are applied on every hit', async () => {
    const rig = createRig()
    const token = mint(rig, { max_uses: 5, path: '/orders' })
    assert.equal(await reasonOf(rig, token), 'accepted')
    assert.equal(await reasonOf(rig, token, { audience: 'billing-api' }), 'wrong_audience')
    assert.equal(await reasonOf(rig, token, { scope: 'orders:write' }), 'insufficient_scope')
    assert.equal(await reasonOf(rig, token, undefined, '/orders/1'), 'wrong_path')
    assert.equal(await reasonOf(rig, token), 'accepted')
    assert.equal(rig.signatureChecks(), 1)
    assert.equal(rig.usesConsumed(), 2, 'only the two accepted requests consumed a use')
  })

  test('the cache is bounded: the least recently used entry leaves first', async () => {
    const rig = createRig(2)
    const [a, b, c] = [mint(rig, { sub: 'a' }), mint(rig, { sub: 'b' }), mint(rig, { sub: 'c' })]
    for (const token of [a, b, a, c]) await reasonOf(rig, token)
    assert.equal(rig.signatureChecks(), 3)
    await reasonOf(rig, a)
    assert.equal(rig.signatureChecks(), 3, 'a was used recently and stayed')
    await reasonOf(rig, b)
    assert.equal(rig.signatureChecks(), 4, 'b was evicted')
  })

  test('maxEntries 0 turns the cache off', async () => {
    const rig = createRig(0)
    const token = mint(rig)
    await reasonOf(rig, token)
    await reasonOf(rig, token)
    assert.equal(rig.signatureChecks(), 2)
  })
})
