/**
 * Conformance of `Sessions.rotateRefreshToken`, the refresh state machine: every outcome of
 * `RotateOutcome`, the order of its checks, the grace window's edges, and its behaviour under
 * simultaneous calls with one token.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RotateOutcome } from '../ports.ts'
import {
  GRACE_SECONDS,
  IDLE_SECONDS,
  type OpenStore,
  rotation,
  startSession,
  T0,
  tokenHash,
  withStore,
} from './conformance-fixtures.ts'

function successorIdOf(outcome: RotateOutcome): string | undefined {
  return outcome.kind === 'rotated' || outcome.kind === 'grace' ? outcome.successor.id : undefined
}

function countKinds(outcomes: readonly RotateOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const outcome of outcomes) counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1
  return counts
}

/**
 * Registers the rotation tests against stores produced by `open`.
 *
 * @example
 * describeRefreshRotationConformance(() => openSqliteStore({ file }))
 */
export function describeRefreshRotationConformance(open: OpenStore): void {
  describe('sessions.rotateRefreshToken', () => {
    test('rotated: the active token gives way to a stored successor and the session records the use', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const outcome = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        assert.equal(outcome.kind, 'rotated')
        assert.ok(outcome.kind === 'rotated')
        assert.deepEqual(outcome.successor, {
          id: 's1-t1',
          sessionId: 's1',
          tokenHash: tokenHash('s1-t1'),
          state: 'active',
          createdAt: T0 + 60,
          expiresAt: T0 + 60 + IDLE_SECONDS,
          rotatedAt: null,
          successorId: null,
        })
        assert.deepEqual(
          [outcome.session.id, outcome.session.lastUsedAt, outcome.session.ip, outcome.session.userAgent],
          ['s1', T0 + 60, '198.51.100.7', 'conformance/2.0'],
        )
        // The outcome describes the rows as stored, not merely what was asked for.
        assert.deepEqual(await store.sessions.findById('s1'), outcome.session)
        assert.deepEqual(await store.sessions.findRefreshToken(tokenHash('s1-t1')), outcome.successor)
        const parent = await store.sessions.findRefreshToken(tokenHash('s1-t0'))
        assert.deepEqual(
          [parent?.state, parent?.rotatedAt, parent?.successorId],
          ['rotated', T0 + 60, 's1-t1'],
        )
      }))

    test('rotated and grace: the user comes back as stored, read in the same transaction', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await store.users.setDisabled('user-owner', true, T0 + 30)
        await store.users.raiseNotBefore('user-owner', T0 + 40)
        const stored = await store.users.findById('user-owner')
        assert.deepEqual([stored?.disabled, stored?.notBeforeAt], [true, T0 + 40])
        // The store reports the user; refusing a disabled or barred user is the domain's decision.
        const first = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        assert.ok(first.kind === 'rotated')
        assert.deepEqual(first.user, stored)
        const again = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 61 }))
        assert.ok(again.kind === 'grace')
        assert.deepEqual(again.user, stored)
      }))

    test('rotated: the successor never outlives the session', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1', { expiresAt: T0 + 500 })
        const outcome = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        assert.ok(outcome.kind === 'rotated')
        assert.equal(outcome.successor.expiresAt, T0 + 500)
        assert.deepEqual(await store.sessions.findRefreshToken(tokenHash('s1-t1')), outcome.successor)
      }))

    test('unknown: no token has the hash', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        assert.deepEqual(await store.sessions.rotateRefreshToken(rotation('never-issued', 'x')), {
          kind: 'unknown',
        })
      }))

    test('grace: the parent again within the window (inclusive) yields the same successor and writes none', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const first = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        const again = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-t1-bis', { now: T0 + 60 + GRACE_SECONDS, ip: '203.0.113.9' }),
        )
        assert.equal(again.kind, 'grace')
        assert.ok(again.kind === 'grace' && first.kind === 'rotated')
        assert.deepEqual(again.successor, first.successor)
        assert.equal(again.session.lastUsedAt, T0 + 60 + GRACE_SECONDS)
        assert.equal(again.session.ip, '198.51.100.7')
        assert.deepEqual(await store.sessions.findById('s1'), again.session)
        assert.equal(await store.sessions.findByRefreshTokenHash(tokenHash('s1-t1-bis')), undefined)
        const next = await store.sessions.rotateRefreshToken(rotation('s1-t1', 's1-t2', { now: T0 + 120 }))
        assert.equal(next.kind, 'rotated')
      }))

    test('reused: the parent after the window revokes the session and every token; the newest then fails', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        await store.sessions.rotateRefreshToken(rotation('s1-t1', 's1-t2', { now: T0 + 70 }))
        const reuse = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-x', { now: T0 + 60 + GRACE_SECONDS + 1 }),
        )
        assert.equal(reuse.kind, 'reused')
        assert.ok(reuse.kind === 'reused')
        assert.deepEqual(
          [reuse.session.state, reuse.session.revokedAt, reuse.session.revokedReason],
          ['revoked', T0 + 60 + GRACE_SECONDS + 1, 'refresh_token_reused'],
        )
        assert.deepEqual(await store.sessions.findById('s1'), reuse.session)
        for (const presented of ['s1-t2', 's1-t1', 's1-t0']) {
          const outcome = await store.sessions.rotateRefreshToken(
            rotation(presented, 's1-y', { now: T0 + 80 }),
          )
          assert.equal(outcome.kind, 'session_revoked', presented)
          assert.ok(outcome.kind === 'session_revoked')
          assert.equal(outcome.session.id, 's1')
        }
        assert.equal(await store.sessions.findByRefreshTokenHash(tokenHash('s1-y')), undefined)
      }))

    test('client_mismatch: another client is refused, even after the window, and nothing changes', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        assert.deepEqual(
          await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { clientId: 'mobile' })),
          {
            kind: 'client_mismatch',
          },
        )
        assert.equal((await store.sessions.findById('s1'))?.lastUsedAt, T0)
        assert.equal(
          (await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))).kind,
          'rotated',
        )
        const late = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-x', { now: T0 + 60 + GRACE_SECONDS + 1, clientId: 'mobile' }),
        )
        assert.deepEqual(late, { kind: 'client_mismatch' })
        assert.equal((await store.sessions.findById('s1'))?.state, 'active')
      }))

    test('expired: past the token idle expiry or the session end, and nothing changes', () =>
      withStore(open, async (store) => {
        await startSession(store, 'idle', { tokenExpiresAt: T0 + 100 })
        await startSession(store, 'ended', { expiresAt: T0 + 100 })
        for (const id of ['idle', 'ended']) {
          const outcome = await store.sessions.rotateRefreshToken(
            rotation(`${id}-t0`, `${id}-t1`, { now: T0 + 100 }),
          )
          assert.deepEqual(outcome, { kind: 'expired' }, id)
          const session = await store.sessions.findById(id)
          assert.deepEqual([session?.state, session?.lastUsedAt], ['active', T0], id)
        }
        const inTime = await store.sessions.rotateRefreshToken(
          rotation('idle-t0', 'idle-t1', { now: T0 + 99 }),
        )
        assert.equal(inTime.kind, 'rotated')
      }))

    test('session_revoked: a token of a revoked session, with the session', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await store.sessions.revoke('s1', { at: T0 + 1, reason: 'logout' })
        const outcome = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))
        assert.ok(outcome.kind === 'session_revoked')
        assert.deepEqual([outcome.session.id, outcome.session.revokedReason], ['s1', 'logout'])
      }))

    test('50 simultaneous rotations of one token: one rotated, 49 grace with the same successor', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.sessions.rotateRefreshToken({
              ...rotation('s1-t0', `s1-t1-${i}`),
              successor: { id: `s1-t1-${i}`, tokenHash: tokenHash('s1-t1') },
            }),
          ),
        )
        assert.deepEqual(countKinds(outcomes), { rotated: 1, grace: 49 })
        const winner = outcomes.find((outcome) => outcome.kind === 'rotated')
        const successorIds = new Set(outcomes.map(successorIdOf))
        assert.deepEqual([...successorIds], [successorIdOf(winner ?? { kind: 'unknown' })])
      }))

    test('simultaneous reuse after the window: one reused, the rest session_revoked', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.sessions.rotateRefreshToken(
              rotation('s1-t0', `s1-x${i}`, { now: T0 + 60 + GRACE_SECONDS + 1 }),
            ),
          ),
        )
        assert.deepEqual(countKinds(outcomes), { reused: 1, session_revoked: 9 })
      }))
  })
}
