import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, GuardError, type GuardOptions } from '@tessera/guard'
import { AUDIENCE, tokenClaims, waitFor } from './guard-fixtures.ts'
import { CLIENT, type LoopbackIssuer, startLoopbackIssuer } from './loopback-issuer.ts'

/** The revocation feed against a loopback server that follows docs/guard-protocol.md. */
describe('guard revocation feed', () => {
  const key = generateSigningKey('EdDSA', 'k-1')
  const cleanups: (() => Promise<void>)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  async function setUp(
    options: Partial<GuardOptions> = {},
  ): Promise<{ issuer: LoopbackIssuer; guard: Guard; clock: ManualClock }> {
    const issuer = await startLoopbackIssuer()
    const clock = createManualClock(Math.floor(Date.now() / 1000))
    const guard = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      client: CLIENT,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
      ...options,
    })
    cleanups.push(
      () => guard.close(),
      () => issuer.close(),
    )
    return { issuer, guard, clock }
  }

  const mint = (
    issuer: LoopbackIssuer,
    clock: ManualClock,
    overrides: Record<string, unknown> = {},
  ): string => signAccessToken(tokenClaims(issuer.url, clock.nowSeconds(), overrides), key)

  async function outcome(guard: Guard, token: string): Promise<string> {
    try {
      await guard.verifyToken(token)
      return 'accepted'
    } catch (error) {
      assert.ok(error instanceof GuardError)
      return error.status === 503 ? `${error.reason}/503` : error.reason
    }
  }

  test('live revocations reach the guard: session_revoked, then user not-before', async () => {
    const { issuer, guard, clock } = await setUp()
    const token = mint(issuer, clock)
    assert.equal(await outcome(guard, token), 'accepted')
    assert.equal(guard.health().revocation.state, 'live')
    assert.equal(guard.health().revocation.connected, true)
    issuer.revokeSessions(['ses_alice'], 'usr_alice', clock.nowSeconds())
    await waitForOutcome(guard, token, 'session_revoked')
    const other = mint(issuer, clock, { sid: 'ses_other', iat: clock.nowSeconds() - 1 })
    assert.equal(await outcome(guard, other), 'accepted')
    issuer.setUserNotBefore('usr_alice', clock.nowSeconds())
    await waitForOutcome(guard, other, 'revoked')
    assert.equal(
      await outcome(guard, mint(issuer, clock, { sid: 'ses_new' })),
      'accepted',
      'iat = not-before is fine',
    )
    assert.equal(issuer.counts.feedConnections, 1, 'one connection, no call per request')
  })

  test('reconnects after the server drops the stream, sending Last-Event-ID, and replays what it missed', async () => {
    const { issuer, guard, clock } = await setUp()
    assert.equal(await outcome(guard, mint(issuer, clock)), 'accepted')
    issuer.revokeSessions(['ses_1'], 'usr_1', clock.nowSeconds())
    await waitForOutcome(guard, mint(issuer, clock, { sid: 'ses_1' }), 'session_revoked')
    issuer.dropFeeds()
    issuer.revokeSessions(['ses_2'], 'usr_2', clock.nowSeconds()) // published while the guard is away
    await waitFor(() => issuer.counts.feedConnections === 2)
    assert.deepEqual(issuer.feedLastEventIds, [undefined, 'loop-1'])
    await waitForOutcome(guard, mint(issuer, clock, { sid: 'ses_2' }), 'session_revoked')
  })

  test('a garbled event makes the guard reconnect for a fresh snapshot, without Last-Event-ID', async () => {
    const { issuer, guard, clock } = await setUp()
    assert.equal(await outcome(guard, mint(issuer, clock)), 'accepted')
    issuer.writeRaw('id: loop-9\nevent: session_revoked\ndata: {"sids":["ses_x"],"sids":[]}\n\n')
    await waitFor(() => issuer.counts.feedConnections === 2)
    assert.equal(issuer.feedLastEventIds[1], undefined)
  })

  test('silent longer than maxSilenceSeconds: fail closed with 503, and recover when the feed speaks', async () => {
    const { issuer, guard, clock } = await setUp()
    const token = mint(issuer, clock, { exp: clock.nowSeconds() + 900 })
    assert.equal(await outcome(guard, token), 'accepted')
    issuer.setFeedMode('silent')
    clock.advance(31)
    assert.equal(guard.health().revocation.state, 'stale-closed')
    assert.equal(await outcome(guard, token), 'revoked/503')
    issuer.setFeedMode('normal')
    issuer.ping(clock.nowSeconds())
    // The watchdog also drops the silent stream and reconnects to a snapshot; either brings it back.
    await waitFor(() => guard.health().revocation.state === 'live')
    assert.equal(await outcome(guard, token), 'accepted')
  })

  test('silent in open mode: tokens pass on signature and claims, known revocations still hold', async () => {
    const { issuer, guard, clock } = await setUp({ revocation: { failMode: 'open' } })
    await waitFor(() => guard.health().revocation.state === 'live')
    issuer.revokeSessions(['ses_gone'], 'usr_alice', clock.nowSeconds())
    await waitForOutcome(guard, mint(issuer, clock, { sid: 'ses_gone' }), 'session_revoked')
    issuer.setFeedMode('refuse')
    issuer.dropFeeds()
    clock.advance(31)
    assert.equal(guard.health().revocation.state, 'stale-open')
    assert.equal(await outcome(guard, mint(issuer, clock, { exp: clock.nowSeconds() + 100 })), 'accepted')
    assert.equal(await outcome(guard, mint(issuer, clock, { sid: 'ses_gone' })), 'session_revoked')
  })

  test('a feed that refuses the client: closed guard answers 503 after its bounded wait', async () => {
    const { issuer, clock } = await setUp()
    const fresh = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      client: { id: CLIENT.id, secret: 'wrong-secret' },
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
      networkTimeoutMs: 200,
    })
    cleanups.push(() => fresh.close())
    assert.equal(await outcome(fresh, mint(issuer, clock)), 'revoked/503')
    assert.deepEqual(fresh.health().revocation, {
      connected: false,
      lastEventAt: undefined,
      state: 'stale-closed',
    })
  })

  test('without a client the feed is disabled: revocation happens only at expiry', async () => {
    const { issuer, clock } = await setUp()
    issuer.revokeSessions(['ses_alice'], 'usr_alice', clock.nowSeconds())
    const guard = createGuard({
      issuer: issuer.url,
      audience: AUDIENCE,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
    })
    cleanups.push(() => guard.close())
    assert.equal(await outcome(guard, mint(issuer, clock)), 'accepted')
    assert.deepEqual(guard.health().revocation, {
      connected: false,
      lastEventAt: undefined,
      state: 'disabled',
    })
  })

  async function waitForOutcome(guard: Guard, token: string, expected: string): Promise<void> {
    let last = ''
    const deadline = Date.now() + 5000
    while (last !== expected) {
      if (Date.now() > deadline) assert.fail(`expected ${expected}, still ${last}`)
      last = await outcome(guard, token)
      if (last !== expected) await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
})
