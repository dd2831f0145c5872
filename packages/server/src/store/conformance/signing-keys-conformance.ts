/**
 * Conformance of `SigningKeys`: the ring's states, at most one `next` and one `current` whatever
 * instances race, promotion, retirement and withdrawal as compare-and-set, publication and purging by
 * `publishUntil`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type OpenStore, signingKey, T0, withStore } from './conformance-fixtures.ts'

/**
 * Registers the `SigningKeys` tests against stores produced by `open`.
 *
 * @example
 * describeSigningKeysConformance(() => openSqliteStore({ file }))
 */
export function describeSigningKeysConformance(open: OpenStore): void {
  describe('signingKeys', () => {
    test('insert stores every field; listAll and listPublished return the keys oldest first', () =>
      withStore(open, async (store) => {
        const current = signingKey('k-cur', 'current', { alg: 'ES256' })
        const next = signingKey('k-next', 'next', { createdAt: T0 + 1 })
        assert.equal(await store.signingKeys.insert(next), true)
        assert.equal(await store.signingKeys.insert(current), true)
        assert.deepEqual(await store.signingKeys.listAll(), [current, next])
        assert.deepEqual(await store.signingKeys.listPublished(T0 + 2), [current, next])
      }))

    test('a second current or a second next is refused and writes nothing', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await store.signingKeys.insert(signingKey('k2', 'next'))
        assert.equal(await store.signingKeys.insert(signingKey('k3', 'current')), false)
        assert.equal(await store.signingKeys.insert(signingKey('k4', 'next')), false)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => key.kid),
          ['k1', 'k2'],
        )
      }))

    test('of simultaneous inserts of a current key exactly one succeeds', () =>
      withStore(open, async (store) => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.signingKeys.insert(signingKey(`k${i}`, 'current'))),
        )
        assert.equal(results.filter(Boolean).length, 1)
        assert.equal((await store.signingKeys.listAll()).length, 1)
      }))

    test('insert refuses a key that is already retired', () =>
      withStore(open, async (store) => {
        await assert.rejects(store.signingKeys.insert(signingKey('k1', 'retired')), RangeError)
        assert.deepEqual(await store.signingKeys.listAll(), [])
      }))

    test('promote makes next current and retires current until retiredPublishUntil', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await store.signingKeys.insert(signingKey('k2', 'next', { createdAt: T0 + 1 }))
        const promoted = await store.signingKeys.promote({
          nextKid: 'k2',
          currentKid: 'k1',
          now: T0 + 100,
          retiredPublishUntil: T0 + 1000,
        })
        assert.equal(promoted, true)
        const [k1, k2] = await store.signingKeys.listAll()
        assert.deepEqual([k1?.state, k1?.retiredAt, k1?.publishUntil], ['retired', T0 + 100, T0 + 1000])
        assert.deepEqual([k2?.state, k2?.activatedAt], ['current', T0 + 100])
      }))

    test('promote with a stale kid is refused and changes nothing', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await store.signingKeys.insert(signingKey('k2', 'next', { createdAt: T0 + 1 }))
        const before = await store.signingKeys.listAll()
        const change = { now: T0 + 100, retiredPublishUntil: T0 + 1000 }
        assert.equal(
          await store.signingKeys.promote({ ...change, nextKid: 'k2', currentKid: 'k-gone' }),
          false,
        )
        assert.equal(await store.signingKeys.promote({ ...change, nextKid: 'k1', currentKid: 'k1' }), false)
        assert.equal(await store.signingKeys.promote({ ...change, nextKid: 'k2', currentKid: null }), false)
        assert.equal(
          await store.signingKeys.promote({ ...change, nextKid: 'k-gone', currentKid: 'k1' }),
          false,
        )
        assert.deepEqual(await store.signingKeys.listAll(), before)
      }))

    test('promote without a current key promotes next when the ring has no current', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'next'))
        const change = { nextKid: 'k1', currentKid: null, now: T0 + 5, retiredPublishUntil: T0 + 50 }
        assert.equal(await store.signingKeys.promote(change), true)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => [key.kid, key.state, key.activatedAt]),
          [['k1', 'current', T0 + 5]],
        )
      }))

    test('of simultaneous promotions with the same arguments exactly one succeeds', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await store.signingKeys.insert(signingKey('k2', 'next', { createdAt: T0 + 1 }))
        const change = { nextKid: 'k2', currentKid: 'k1', now: T0 + 100, retiredPublishUntil: T0 + 1000 }
        const results = await Promise.all(Array.from({ length: 10 }, () => store.signingKeys.promote(change)))
        assert.equal(results.filter(Boolean).length, 1)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => key.state),
          ['retired', 'current'],
        )
      }))

    test('retire retires a next or current key once; false for unknown or retired keys', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await store.signingKeys.insert(signingKey('k2', 'next', { createdAt: T0 + 1 }))
        const change = { now: T0 + 10, publishUntil: T0 + 60 }
        assert.equal(await store.signingKeys.retire('k1', change), true)
        assert.equal(await store.signingKeys.retire('k2', change), true)
        assert.equal(await store.signingKeys.retire('k1', { now: T0 + 20, publishUntil: T0 + 90 }), false)
        assert.equal(await store.signingKeys.retire('k-unknown', change), false)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => [key.state, key.retiredAt, key.publishUntil]),
          [
            ['retired', T0 + 10, T0 + 60],
            ['retired', T0 + 10, T0 + 60],
          ],
        )
        assert.equal(await store.signingKeys.insert(signingKey('k3', 'current')), true)
      }))

    test('withdraw retires a next key at once and unpublishes it; a new next can follow', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k-cur', 'current'))
        await store.signingKeys.insert(signingKey('k-next', 'next', { createdAt: T0 + 1 }))
        assert.equal(await store.signingKeys.withdraw('k-next', T0 + 10), true)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => [
            key.kid,
            key.state,
            key.retiredAt,
            key.publishUntil,
          ]),
          [
            ['k-cur', 'current', null, null],
            ['k-next', 'retired', T0 + 10, T0 + 10],
          ],
        )
        assert.deepEqual(
          (await store.signingKeys.listPublished(T0 + 10)).map((key) => key.kid),
          ['k-cur'],
        )
        assert.equal(
          await store.signingKeys.insert(signingKey('k-new', 'next', { createdAt: T0 + 10 })),
          true,
        )
      }))

    test('withdraw ends a retired key’s publication now and keeps when it was retired', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('old', 'current'))
        await store.signingKeys.retire('old', { now: T0 + 10, publishUntil: T0 + 100 })
        assert.equal(await store.signingKeys.withdraw('old', T0 + 20), true)
        const [old] = await store.signingKeys.listAll()
        assert.deepEqual([old?.state, old?.retiredAt, old?.publishUntil], ['retired', T0 + 10, T0 + 20])
        assert.deepEqual(await store.signingKeys.listPublished(T0 + 20), [])
        assert.equal(await store.signingKeys.withdraw('old', T0 + 30), false, 'already unpublished')
      }))

    test('withdraw never touches the current key, an unknown kid or an expired retired key', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('gone', 'current'))
        await store.signingKeys.retire('gone', { now: T0 + 10, publishUntil: T0 + 50 })
        await store.signingKeys.insert(signingKey('k-cur', 'current', { createdAt: T0 + 10 }))
        const before = await store.signingKeys.listAll()
        assert.equal(await store.signingKeys.withdraw('k-cur', T0 + 60), false)
        assert.equal(await store.signingKeys.withdraw('gone', T0 + 60), false)
        assert.equal(await store.signingKeys.withdraw('k-unknown', T0 + 60), false)
        assert.deepEqual(await store.signingKeys.listAll(), before)
      }))

    test('of simultaneous withdrawals of one key exactly one succeeds', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k-next', 'next'))
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.signingKeys.withdraw('k-next', T0 + 5)),
        )
        assert.equal(results.filter(Boolean).length, 1)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => [key.state, key.publishUntil]),
          [['retired', T0 + 5]],
        )
      }))

    test('listPublished keeps a retired key until publishUntil, then purgeExpired deletes it', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('old', 'current'))
        await store.signingKeys.retire('old', { now: T0 + 10, publishUntil: T0 + 100 })
        await store.signingKeys.insert(signingKey('cur', 'current', { createdAt: T0 + 10 }))
        const published = async (now: number): Promise<string[]> =>
          (await store.signingKeys.listPublished(now)).map((key) => key.kid)
        assert.deepEqual(await published(T0 + 99), ['old', 'cur'])
        assert.deepEqual(await published(T0 + 100), ['cur'])
        assert.equal(await store.signingKeys.purgeExpired(T0 + 99), 0)
        assert.equal(await store.signingKeys.purgeExpired(T0 + 100), 1)
        assert.deepEqual(
          (await store.signingKeys.listAll()).map((key) => key.kid),
          ['cur'],
        )
      }))
  })
}
