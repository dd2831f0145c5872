/**
 * Conformance of `Sessions` apart from the rotation: starting, finding, listing, revoking (alone, per
 * user, concurrently) and purging ended sessions with their refresh-token families.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  CLIENT_ID,
  type OpenStore,
  rotation,
  SESSION_SECONDS,
  startSession,
  T0,
  tokenHash,
  withStore,
} from './conformance-fixtures.ts'

/**
 * Registers the `Sessions` tests (rotation excepted) against stores produced by `open`.
 *
 * @example
 * describeSessionsConformance(() => openSqliteStore({ file }))
 */
export function describeSessionsConformance(open: OpenStore): void {
  describe('sessions', () => {
    test('start records an active session that its first token finds', () =>
      withStore(open, async (store) => {
        const session = await startSession(store, 's1', { owner: 'ada' })
        const expected = {
          id: 's1',
          userId: 'user-ada',
          clientId: CLIENT_ID,
          state: 'active',
          createdAt: T0,
          lastUsedAt: T0,
          expiresAt: T0 + SESSION_SECONDS,
          ip: '192.0.2.1',
          userAgent: 'conformance/1.0',
          revokedAt: null,
          revokedReason: null,
          dpopJkt: null,
        }
        assert.deepEqual(session, expected)
        assert.deepEqual(await store.sessions.findById('s1'), expected)
        assert.deepEqual(await store.sessions.findByRefreshTokenHash(tokenHash('s1-t0')), expected)
      }))

    test('start rejects a session of an unknown user and writes nothing', () =>
      withStore(open, async (store) => {
        const session = {
          id: 's1',
          userId: 'user-nobody',
          clientId: CLIENT_ID,
          createdAt: T0,
          expiresAt: T0 + 60,
        }
        await assert.rejects(
          store.sessions.start(
            { ...session, ip: null, userAgent: null },
            { id: 's1-t0', tokenHash: tokenHash('s1-t0'), expiresAt: T0 + 60 },
          ),
        )
        assert.equal(await store.sessions.findById('s1'), undefined)
        assert.equal(await store.sessions.findByRefreshTokenHash(tokenHash('s1-t0')), undefined)
      }))

    test('findByRefreshTokenHash finds the session through any token of its family', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        assert.equal((await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
        assert.equal((await store.sessions.findByRefreshTokenHash(tokenHash('s1-t0')))?.id, 's1')
        assert.equal((await store.sessions.findByRefreshTokenHash(tokenHash('s1-t1')))?.id, 's1')
        assert.equal(await store.sessions.findByRefreshTokenHash(tokenHash('nothing')), undefined)
        assert.equal(await store.sessions.findById('s-unknown'), undefined)
      }))

    test('listActiveForUser lists live sessions of the user, most recently used first', () =>
      withStore(open, async (store) => {
        const now = T0 + 1000
        await startSession(store, 'old', { owner: 'ada', createdAt: T0 })
        await startSession(store, 'new', { owner: 'ada', createdAt: T0 + 10 })
        await startSession(store, 'revoked', { owner: 'ada', createdAt: T0 + 20 })
        await startSession(store, 'ended', { owner: 'ada', createdAt: T0, expiresAt: now })
        await startSession(store, 'idle', { owner: 'ada', createdAt: T0, tokenExpiresAt: now })
        await startSession(store, 'other', { owner: 'eve', createdAt: T0 + 30 })
        await store.sessions.revoke('revoked', { at: T0 + 25, reason: 'logout' })
        assert.equal(
          (await store.sessions.rotateRefreshToken(rotation('old-t0', 'old-t1', { now: T0 + 50 }))).kind,
          'rotated',
        )
        const listed = await store.sessions.listActiveForUser('user-ada', now)
        assert.deepEqual(
          listed.map((session) => [session.id, session.lastUsedAt]),
          [
            ['old', T0 + 50],
            ['new', T0 + 10],
          ],
        )
        assert.deepEqual(await store.sessions.listActiveForUser('user-nobody', now), [])
      }))

    test('revoke ends the session and its whole family, once', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        assert.equal((await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
        assert.equal(await store.sessions.revoke('s1', { at: T0 + 100, reason: 'logout' }), true)
        const revoked = await store.sessions.findById('s1')
        assert.equal(revoked?.state, 'revoked')
        assert.equal(revoked?.revokedAt, T0 + 100)
        assert.equal(revoked?.revokedReason, 'logout')
        assert.equal(await store.sessions.revoke('s1', { at: T0 + 200, reason: 'admin' }), false)
        assert.equal((await store.sessions.findById('s1'))?.revokedReason, 'logout')
        const outcome = await store.sessions.rotateRefreshToken(rotation('s1-t1', 's1-t2', { now: T0 + 300 }))
        assert.equal(outcome.kind, 'session_revoked')
        assert.equal(await store.sessions.revoke('s-unknown', { at: T0, reason: 'logout' }), false)
      }))

    test('of concurrent revokes of one session exactly one reports the change', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const changed = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.sessions.revoke('s1', { at: T0 + i, reason: `r${i}` })),
        )
        assert.equal(changed.filter(Boolean).length, 1)
      }))

    test('revokeAllForUser revokes every other active session and its tokens', () =>
      withStore(open, async (store) => {
        for (const id of ['a', 'b', 'keep', 'gone']) await startSession(store, id, { owner: 'ada' })
        await startSession(store, 'eve-1', { owner: 'eve' })
        await store.sessions.revoke('gone', { at: T0 + 1, reason: 'logout' })
        const ids = await store.sessions.revokeAllForUser('user-ada', {
          at: T0 + 5,
          reason: 'password_changed',
          exceptSessionId: 'keep',
        })
        assert.deepEqual(ids, ['a', 'b'])
        for (const id of ['a', 'b']) {
          const session = await store.sessions.findById(id)
          assert.deepEqual(
            [session?.state, session?.revokedAt, session?.revokedReason],
            ['revoked', T0 + 5, 'password_changed'],
          )
          const outcome = await store.sessions.rotateRefreshToken(rotation(`${id}-t0`, `${id}-t1`))
          assert.equal(outcome.kind, 'session_revoked')
        }
        assert.equal((await store.sessions.findById('gone'))?.revokedReason, 'logout')
        assert.equal(
          (await store.sessions.rotateRefreshToken(rotation('keep-t0', 'keep-t1'))).kind,
          'rotated',
        )
        assert.equal(
          (await store.sessions.rotateRefreshToken(rotation('eve-1-t0', 'eve-1-t1'))).kind,
          'rotated',
        )
      }))

    test('revokeAllForUser without an exception revokes every active session, then nothing', () =>
      withStore(open, async (store) => {
        await startSession(store, 'b', { owner: 'ada' })
        await startSession(store, 'a', { owner: 'ada' })
        assert.deepEqual(await store.sessions.revokeAllForUser('user-ada', { at: T0 + 5, reason: 'admin' }), [
          'a',
          'b',
        ])
        assert.deepEqual(await store.sessions.listActiveForUser('user-ada', T0 + 6), [])
        assert.deepEqual(
          await store.sessions.revokeAllForUser('user-ada', { at: T0 + 7, reason: 'admin' }),
          [],
        )
      }))

    test('purgeEnded deletes ended sessions with their tokens and keeps the rest', () =>
      withStore(open, async (store) => {
        const before = T0 + 10_000
        await startSession(store, 'expired', { expiresAt: before - 1 })
        await startSession(store, 'revoked')
        await store.sessions.revoke('revoked', { at: before - 1, reason: 'logout' })
        await startSession(store, 'idle', { tokenExpiresAt: before - 1 })
        await startSession(store, 'live')
        await startSession(store, 'revoked-late')
        await store.sessions.revoke('revoked-late', { at: before, reason: 'logout' })
        await startSession(store, 'ends-at-before', { expiresAt: before, tokenExpiresAt: before })
        assert.equal(await store.sessions.purgeEnded(before), 3)
        for (const id of ['expired', 'revoked', 'idle']) {
          assert.equal(await store.sessions.findById(id), undefined)
          assert.equal(await store.sessions.findByRefreshTokenHash(tokenHash(`${id}-t0`)), undefined)
        }
        for (const id of ['live', 'revoked-late', 'ends-at-before'])
          assert.equal((await store.sessions.findById(id))?.id, id)
        assert.equal(await store.sessions.purgeEnded(before), 0)
        assert.equal(
          (await store.sessions.rotateRefreshToken(rotation('live-t0', 'live-t1'))).kind,
          'rotated',
        )
      }))
  })
}
