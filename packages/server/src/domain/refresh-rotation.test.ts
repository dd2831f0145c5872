import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { createManualClock, cryptoRandom, type ManualClock } from '@tessera/core'
import type { Store, UserRecord } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { newId } from './ids.ts'
import { KeyRing } from './key-ring.ts'
import { refreshSession } from './refresh-rotation.ts'
import { RevocationBus, type RevocationEvent } from './revocation-bus.ts'
import { type ClientContext, type SessionDeps, startSession } from './sessions.ts'
import { createTokenIssuer } from './token-issuer.ts'

const context: ClientContext = {
  clientId: 'tessera',
  ip: '127.0.0.1',
  userAgent: 'test',
  bindFingerprint: false,
}

describe('refreshSession (domain)', () => {
  let dir: string
  let store: Store
  let clock: ManualClock
  let deps: SessionDeps
  let user: UserRecord
  let events: RevocationEvent[]

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-rotation-'))
    store = await openSqliteStore({ file: join(dir, 'db.sqlite') })
    clock = createManualClock(1_800_000_000)
    const ring = new KeyRing({
      keys: store.signingKeys,
      clock,
      encryptionKey: randomBytes(32),
      algorithm: 'EdDSA',
      rotationSeconds: 86_400,
      jwksCacheSeconds: 60,
      retiredRetentionSeconds: 1000,
    })
    await ring.initialize()
    const revocations = new RevocationBus()
    events = []
    revocations.subscribe((event) => events.push(event))
    deps = {
      store,
      clock,
      random: cryptoRandom,
      tokens: createTokenIssuer({
        ring,
        clock,
        random: cryptoRandom,
        issuer: 'http://issuer',
        audiences: [],
        ttlSeconds: 900,
        defaultScopes: [],
      }),
      refreshKeys: { tagKey: randomBytes(32), rotationKey: randomBytes(32) },
      policy: { idleSeconds: 3600, absoluteSeconds: 7200, graceSeconds: 10 },
      revocations,
    }
    const created = await store.users.create({
      id: newId('usr'),
      email: 'a@example.test',
      name: null,
      passwordHash: null,
      createdAt: clock.nowSeconds(),
    })
    assert.ok(created.ok)
    user = created.user
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a refresh hands back the user as stored, and a replay within the grace window too', async () => {
    const issued = await startSession(deps, user, context)
    await store.users.setPasswordHash(user.id, 'changed', clock.nowSeconds())
    const stored = await store.users.findById(user.id)
    const first = await refreshSession(deps, issued.refreshToken, context)
    assert.ok(first.ok)
    assert.deepEqual(first.user, stored)
    const replay = await refreshSession(deps, issued.refreshToken, context)
    assert.ok(replay.ok && replay.replayedWithinGrace)
    assert.deepEqual(replay.user, stored)
    assert.equal(replay.issued.refreshToken, first.issued.refreshToken)
  })

  test('reuse after the grace window publishes the session revocation for the guards', async () => {
    const issued = await startSession(deps, user, context)
    assert.equal((await refreshSession(deps, issued.refreshToken, context)).ok, true)
    clock.advance(11)
    const reused = await refreshSession(deps, issued.refreshToken, context)
    assert.deepEqual(reused, { ok: false, reason: 'refresh_token_reused' })
    assert.deepEqual(events, [
      { type: 'session_revoked', sessionIds: [issued.session.id], userId: user.id, at: clock.nowSeconds() },
    ])
  })

  test('a disabled user cannot refresh: the session is revoked', async () => {
    const issued = await startSession(deps, user, context)
    await store.users.setDisabled(user.id, true, clock.nowSeconds())
    assert.deepEqual(await refreshSession(deps, issued.refreshToken, context), {
      ok: false,
      reason: 'session_revoked',
    })
    assert.equal((await store.sessions.findById(issued.session.id))?.state, 'revoked')
    assert.equal(events.length, 1)
  })

  test("a user's not-before after the session start ends the session", async () => {
    const issued = await startSession(deps, user, context)
    clock.advance(5)
    await store.users.raiseNotBefore(user.id, clock.nowSeconds())
    assert.deepEqual(await refreshSession(deps, issued.refreshToken, context), {
      ok: false,
      reason: 'session_revoked',
    })
  })

  test('another client presenting the token is answered like an unknown token and changes nothing', async () => {
    const issued = await startSession(deps, user, context)
    const outcome = await refreshSession(deps, issued.refreshToken, { ...context, clientId: 'cli_other' })
    assert.deepEqual(outcome, { ok: false, reason: 'invalid_refresh_token' })
    assert.equal((await refreshSession(deps, issued.refreshToken, context)).ok, true)
  })

  test('an instance with another secret refuses the token in memory', async () => {
    const issued = await startSession(deps, user, context)
    const other = { ...deps, refreshKeys: { tagKey: randomBytes(32), rotationKey: randomBytes(32) } }
    assert.deepEqual(await refreshSession(other, issued.refreshToken, context), {
      ok: false,
      reason: 'invalid_refresh_token',
    })
  })

  test('the absolute session lifetime ends refreshing even while the token is fresh', async () => {
    let token = (await startSession(deps, user, context)).refreshToken
    for (let i = 0; i < 3; i++) {
      clock.advance(3000)
      const outcome = await refreshSession(deps, token, context)
      if (i < 2) {
        assert.ok(outcome.ok)
        token = outcome.issued.refreshToken
      } else {
        assert.deepEqual(
          outcome,
          { ok: false, reason: 'refresh_token_expired' },
          'past the 7200 s absolute lifetime',
        )
      }
    }
  })
})
