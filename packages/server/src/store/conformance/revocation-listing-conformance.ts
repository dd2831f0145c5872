/**
 * Conformance of the reads behind the revocation feed and introspection: `Sessions.listRevokedSince`,
 * `Users.listNotBeforeSince` and `Sessions.findRefreshToken`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  newUser,
  type OpenStore,
  rotation,
  startSession,
  T0,
  tokenHash,
  withStore,
} from './conformance-fixtures.ts'

/**
 * Registers the revocation-listing tests against stores produced by `open`.
 *
 * @example
 * describeRevocationListingConformance(() => openSqliteStore({ file }))
 */
export function describeRevocationListingConformance(open: OpenStore): void {
  describe('revocation listings', () => {
    test('listRevokedSince lists revocations at or after the instant, oldest first', () =>
      withStore(open, async (store) => {
        for (const id of ['old', 'edge', 'late', 'early-late', 'live']) {
          await startSession(store, id, { owner: id === 'late' ? 'eve' : 'ada' })
        }
        await store.sessions.revoke('old', { at: T0 + 99, reason: 'logout' })
        await store.sessions.revoke('edge', { at: T0 + 100, reason: 'logout' })
        await store.sessions.revoke('late', { at: T0 + 300, reason: 'admin' })
        await store.sessions.revoke('early-late', { at: T0 + 200, reason: 'logout' })
        assert.deepEqual(await store.sessions.listRevokedSince(T0 + 100), [
          { sessionId: 'edge', userId: 'user-ada', revokedAt: T0 + 100 },
          { sessionId: 'early-late', userId: 'user-ada', revokedAt: T0 + 200 },
          { sessionId: 'late', userId: 'user-eve', revokedAt: T0 + 300 },
        ])
        assert.deepEqual(await store.sessions.listRevokedSince(T0 + 301), [])
      }))

    test('listRevokedSince includes sessions killed by refresh-token reuse and by revokeAllForUser', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1', { owner: 'ada' })
        await startSession(store, 's2', { owner: 'ada' })
        await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
        const reused = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-x', { now: T0 + 500 }))
        assert.equal(reused.kind, 'reused')
        await store.sessions.revokeAllForUser('user-ada', { at: T0 + 600, reason: 'password_changed' })
        assert.deepEqual(
          (await store.sessions.listRevokedSince(T0)).map((r) => [r.sessionId, r.revokedAt]),
          [
            ['s1', T0 + 500],
            ['s2', T0 + 600],
          ],
        )
      }))

    test('listNotBeforeSince lists users whose not-before moved at or after the instant', () =>
      withStore(open, async (store) => {
        for (const name of ['ada', 'eve', 'bob', 'never']) await store.users.create(newUser(name))
        await store.users.raiseNotBefore('user-ada', T0 + 50)
        await store.users.raiseNotBefore('user-eve', T0 + 200)
        await store.users.raiseNotBefore('user-bob', T0 + 100)
        assert.deepEqual(await store.users.listNotBeforeSince(T0 + 100), [
          { userId: 'user-bob', notBeforeAt: T0 + 100 },
          { userId: 'user-eve', notBeforeAt: T0 + 200 },
        ])
        assert.deepEqual(await store.users.listNotBeforeSince(T0 + 201), [])
      }))

    test('findRefreshToken returns the token in whatever state it is in', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t0')))?.state, 'active')
        await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))
        const rotated = await store.sessions.findRefreshToken(tokenHash('s1-t0'))
        assert.deepEqual(
          [rotated?.state, rotated?.sessionId, rotated?.successorId],
          ['rotated', 's1', 's1-t1'],
        )
        assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t1')))?.state, 'active')
        await store.sessions.revoke('s1', { at: T0 + 100, reason: 'logout' })
        assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t1')))?.state, 'revoked')
        assert.equal(await store.sessions.findRefreshToken(tokenHash('nothing')), undefined)
      }))
  })
}
