/**
 * Conformance of DPoP-bound sessions (RFC 9449 §5) in `Sessions.start` and `Sessions.rotateRefreshToken`:
 * a bound session rotates only for its own key, a refusal writes nothing (so a thief without the key can
 * neither refresh nor set off reuse detection), and the binding never changes on the way. On PostgreSQL
 * the common case runs as one statement; these cases hold it to the same decision as the transaction.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type OpenStore, rotation, startSession, T0, tokenHash, withStore } from './conformance-fixtures.ts'

/** Two RFC 7638 thumbprints: SHA-256 in base64url, 43 characters. */
const KEY_A = 'A'.repeat(43)
const KEY_B = 'B'.repeat(43)

/**
 * Registers the DPoP binding tests against stores produced by `open`.
 *
 * @example
 * describeDpopBindingConformance(() => openSqliteStore({ file }))
 */
export function describeDpopBindingConformance(open: OpenStore): void {
  describe('sessions: DPoP binding', () => {
    test('start records the key thumbprint, and reads return it', () =>
      withStore(open, async (store) => {
        const session = await startSession(store, 's1', { dpopJkt: KEY_A })
        assert.equal(session.dpopJkt, KEY_A)
        assert.equal((await store.sessions.findById('s1'))?.dpopJkt, KEY_A)
        assert.equal((await store.sessions.findByRefreshTokenHash(tokenHash('s1-t0')))?.dpopJkt, KEY_A)
      }))

    test('a bound session rotates for its own key and stays bound', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1', { dpopJkt: KEY_A })
        const outcome = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-t1', { dpopJkt: KEY_A }),
        )
        assert.equal(outcome.kind, 'rotated')
        assert.ok(outcome.kind === 'rotated')
        assert.equal(outcome.session.dpopJkt, KEY_A)
        const next = await store.sessions.rotateRefreshToken(
          rotation('s1-t1', 's1-t2', { now: T0 + 120, dpopJkt: KEY_A }),
        )
        assert.equal(next.kind, 'rotated')
      }))

    for (const [label, presented] of [
      ['without a proof', null],
      ['with another key', KEY_B],
    ] as const) {
      test(`a bound session refuses a refresh ${label} and writes nothing`, () =>
        withStore(open, async (store) => {
          await startSession(store, 's1', { dpopJkt: KEY_A })
          const before = await store.sessions.findById('s1')
          const refused = await store.sessions.rotateRefreshToken(
            rotation('s1-t0', 's1-x', { dpopJkt: presented }),
          )
          assert.deepEqual(refused, { kind: 'dpop_mismatch' })
          assert.deepEqual(await store.sessions.findById('s1'), before)
          assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t0')))?.state, 'active')
          assert.equal(await store.sessions.findRefreshToken(tokenHash('s1-x')), undefined)
          // The honest holder, with the key, is not affected.
          const honest = await store.sessions.rotateRefreshToken(
            rotation('s1-t0', 's1-t1', { dpopJkt: KEY_A }),
          )
          assert.equal(honest.kind, 'rotated')
        }))
    }

    test('an old token replayed after the grace window without the key does not revoke the session', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1', { dpopJkt: KEY_A })
        await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60, dpopJkt: KEY_A }))
        const stolen = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-x', { now: T0 + 3600, dpopJkt: KEY_B }),
        )
        assert.deepEqual(stolen, { kind: 'dpop_mismatch' })
        assert.equal((await store.sessions.findById('s1'))?.state, 'active')
        // With the key, the same replay is reuse: the key holder itself presented a rotated token.
        const reused = await store.sessions.rotateRefreshToken(
          rotation('s1-t0', 's1-x', { now: T0 + 3600, dpopJkt: KEY_A }),
        )
        assert.equal(reused.kind, 'reused')
      }))

    test('an unbound session refuses a refresh that carries a key: bindings are fixed at the start', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const refused = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-x', { dpopJkt: KEY_A }))
        assert.deepEqual(refused, { kind: 'dpop_mismatch' })
        assert.equal((await store.sessions.findById('s1'))?.dpopJkt, null)
        assert.equal((await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
      }))

    test('of simultaneous refreshes with the right and a wrong key, the right ones share one successor', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1', { dpopJkt: KEY_A })
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            store.sessions.rotateRefreshToken(
              rotation('s1-t0', 's1-t1', { dpopJkt: index % 2 === 0 ? KEY_A : KEY_B }),
            ),
          ),
        )
        const kinds = outcomes.map((outcome) => outcome.kind).sort()
        assert.deepEqual(kinds, [
          'dpop_mismatch',
          'dpop_mismatch',
          'dpop_mismatch',
          'dpop_mismatch',
          'dpop_mismatch',
          'grace',
          'grace',
          'grace',
          'grace',
          'rotated',
        ])
        assert.equal((await store.sessions.findById('s1'))?.state, 'active')
      }))
  })
}
