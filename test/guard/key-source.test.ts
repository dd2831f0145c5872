import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
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
import { type LoopbackIssuer, startLoopbackIssuer } from './loopback-issuer.ts'

/** Keys from the issuer's metadata and JWKS: discovery, cooldown, refresh, bad keys, failures. */
describe('guard key source', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  async function setUp(
    options: { metadataIssuer?: string; jwks?: unknown[]; networkTimeoutMs?: number } = {},
  ): Promise<{ issuer: LoopbackIssuer; guard: Guard; clock: ManualClock; key: SigningKey }> {
    const issuer = await startLoopbackIssuer(
      options.metadataIssuer === undefined ? {} : { metadataIssuer: options.metadataIssuer },
    )
    const key = generateSigningKey('EdDSA', 'k-1')
    issuer.setJwks(options.jwks ?? [exportPublicJwk(key)])
    const clock = createManualClock(Math.floor(Date.now() / 1000))
    const guard = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      clock,
      ...(options.networkTimeoutMs === undefined ? {} : { networkTimeoutMs: options.networkTimeoutMs }),
    })
    cleanups.push(
      () => guard.close(),
      () => issuer.close(),
    )
    return { issuer, guard, clock, key }
  }

  const mint = (issuer: LoopbackIssuer, clock: ManualClock, key: SigningKey): string =>
    signAccessToken(tokenClaims(issuer.url, clock.nowSeconds()), key)

  async function reasonOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise
    } catch (error) {
      assert.ok(error instanceof GuardError)
      return error.status === 503 ? `${error.reason}/503` : error.reason
    }
    return 'accepted'
  }

  test('discovers the JWKS through RFC 8414 metadata and reports it in health', async () => {
    const { issuer, guard, clock, key } = await setUp()
    assert.equal((await guard.verifyToken(mint(issuer, clock, key))).sub, 'usr_alice')
    assert.deepEqual(issuer.counts, { metadata: 1, jwks: 1, feedConnections: 0, tokenUses: 0 })
    assert.deepEqual(guard.health().keys, { count: 1, kids: [key.kid], lastFetchAt: clock.nowSeconds() })
    assert.equal(guard.health().revocation.state, 'disabled')
  })

  test('a new kid is fetched at most once per cooldown, and then verifies', async () => {
    const { issuer, guard, clock, key } = await setUp()
    await guard.verifyToken(mint(issuer, clock, key))
    const rotated = generateSigningKey('ES256', 'k-2')
    issuer.setJwks([exportPublicJwk(key), exportPublicJwk(rotated)])
    clock.advance(29)
    assert.equal(await reasonOf(guard.verifyToken(mint(issuer, clock, rotated))), 'unknown_key')
    assert.equal(issuer.counts.jwks, 1, 'no fetch inside the cooldown')
    clock.advance(1)
    const [first, second] = await Promise.all([
      guard.verifyToken(mint(issuer, clock, rotated)),
      guard.verifyToken(mint(issuer, clock, rotated)),
    ])
    assert.equal(first.sub, second.sub)
    assert.equal(issuer.counts.jwks, 2, 'concurrent unknown kids share one fetch')
  })

  test('refreshes the JWKS in the background once it is older than jwksRefreshSeconds', async () => {
    const { issuer, guard, clock, key } = await setUp()
    await guard.verifyToken(mint(issuer, clock, key))
    clock.advance(299)
    await guard.verifyToken(mint(issuer, clock, key))
    assert.equal(issuer.counts.jwks, 1)
    clock.advance(1)
    await guard.verifyToken(mint(issuer, clock, key))
    await waitFor(() => guard.health().keys.lastFetchAt === clock.nowSeconds())
    assert.equal(issuer.counts.jwks, 2)
  })

  test('skips a bad key instead of failing the whole set', async () => {
    const good = generateSigningKey('EdDSA', 'k-good')
    const { issuer, guard, clock } = await setUp({
      jwks: [
        { kty: 'OKP', crv: 'Ed25519', x: 'not-a-key', kid: 'k-bad' },
        { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256', kid: 'k-hs' },
        exportPublicJwk(good),
      ],
    })
    assert.equal((await guard.verifyToken(mint(issuer, clock, good))).sub, 'usr_alice')
    assert.equal(guard.health().keys.count, 1)
  })

  test('refuses metadata that names another issuer (RFC 8414 §3.3): no keys, 503', async () => {
    const { issuer, guard, clock, key } = await setUp({ metadataIssuer: 'https://evil.example' })
    assert.equal(await reasonOf(guard.verifyToken(mint(issuer, clock, key))), 'unknown_key/503')
    assert.equal(issuer.counts.jwks, 0)
    assert.equal(guard.health().keys.count, 0)
  })

  test('an unreachable issuer: requests wait for the first fetch, then fail 503 with Retry-After', async () => {
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await new Promise((resolve) => closed.once('listening', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((resolve) => closed.close(resolve))
    const clock = createManualClock(Math.floor(Date.now() / 1000))
    const guard = createGuard({ issuer: url, audience: AUDIENCE, clock, networkTimeoutMs: 500 })
    cleanups.push(() => guard.close())
    const key = generateSigningKey('EdDSA', 'k-1')
    const error = await guard
      .verifyToken(signAccessToken(tokenClaims(url, clock.nowSeconds()), key))
      .catch((e) => e)
    assert.ok(error instanceof GuardError)
    assert.equal(error.reason, 'unknown_key')
    assert.equal(guard.rejection(error).headers['retry-after'], '5')
    assert.equal(guard.rejection(error).status, 503)
  })

  test('an oversized JWKS (over 1 MiB) is refused, not parsed', async () => {
    const key = generateSigningKey('EdDSA', 'k-1')
    const padding = { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(1 << 20), kid: 'k-pad' }
    const { issuer, guard, clock } = await setUp({
      jwks: [exportPublicJwk(key), padding],
      networkTimeoutMs: 2000,
    })
    assert.equal(await reasonOf(guard.verifyToken(mint(issuer, clock, key))), 'unknown_key/503')
    assert.equal(issuer.counts.jwks, 1)
  })

  test('a fixed jwks never touches the network', async () => {
    const issuer = await startLoopbackIssuer()
    cleanups.push(() => issuer.close())
    const key = generateSigningKey('ES256', 'k-fixed')
    const clock = createManualClock(Math.floor(Date.now() / 1000))
    const guard = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
    })
    cleanups.push(() => guard.close())
    assert.equal((await guard.verifyToken(mint(issuer, clock, key))).sub, 'usr_alice')
    assert.equal(
      await reasonOf(guard.verifyToken(mint(issuer, clock, generateSigningKey('ES256', 'k-x')))),
      'unknown_key',
    )
    assert.deepEqual(issuer.counts, { metadata: 0, jwks: 0, feedConnections: 0, tokenUses: 0 })
    assert.throws(
      () => createGuard({ issuer: issuer.url, audience: AUDIENCE, jwks: { keys: [{ kty: 'OKP' }] } }),
      TypeError,
    )
  })
})
