/**
 * Conformance of `Users`: storage of every field, the unique address under concurrency, keyset
 * listing, and the never-backwards not-before instant.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { newUser, type OpenStore, T0, withStore } from './conformance-fixtures.ts'

/**
 * Registers the `Users` tests against stores produced by `open`.
 *
 * @example
 * describeUsersConformance(() => openSqliteStore({ file }))
 */
export function describeUsersConformance(open: OpenStore): void {
  describe('users', () => {
    test('create stores every field and finds the user by id and by email', () =>
      withStore(open, async (store) => {
        const outcome = await store.users.create(newUser('ada', { name: null, passwordHash: null }))
        const expected = {
          id: 'user-ada',
          email: 'ada@example.test',
          name: null,
          passwordHash: null,
          disabled: false,
          notBeforeAt: null,
          createdAt: T0,
          updatedAt: T0,
        }
        assert.deepEqual(outcome, { ok: true, user: expected })
        assert.deepEqual(await store.users.findById('user-ada'), expected)
        assert.deepEqual(await store.users.findByEmail('ada@example.test'), expected)
      }))

    test('create with a taken email resolves email_taken and leaves the first user as it was', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        const second = await store.users.create(newUser('eve', { email: 'ada@example.test' }))
        assert.deepEqual(second, { ok: false, reason: 'email_taken' })
        assert.equal((await store.users.findByEmail('ada@example.test'))?.id, 'user-ada')
        assert.equal(await store.users.findById('user-eve'), undefined)
      }))

    test('of concurrent creates with one email exactly one succeeds', () =>
      withStore(open, async (store) => {
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.users.create(newUser(`racer${i}`, { email: 'same@example.test' })),
          ),
        )
        const winners = outcomes.filter((outcome) => outcome.ok)
        assert.equal(winners.length, 1)
        for (const outcome of outcomes.filter((o) => !o.ok))
          assert.deepEqual(outcome, { ok: false, reason: 'email_taken' })
        assert.equal((await store.users.list({ limit: 100 })).length, 1)
      }))

    test('create with a taken id rejects instead of passing for a taken email', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        await assert.rejects(store.users.create(newUser('ada', { email: 'other@example.test' })))
        assert.equal(await store.users.findByEmail('other@example.test'), undefined)
      }))

    test('findById and findByEmail resolve undefined for unknown keys', () =>
      withStore(open, async (store) => {
        assert.equal(await store.users.findById('user-nobody'), undefined)
        assert.equal(await store.users.findByEmail('nobody@example.test'), undefined)
      }))

    test('list orders by creation then id and continues after afterId', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('b', { createdAt: T0 }))
        await store.users.create(newUser('c', { createdAt: T0 - 10 }))
        await store.users.create(newUser('a', { createdAt: T0 }))
        const ids = async (options: { limit: number; afterId?: string }): Promise<string[]> =>
          (await store.users.list(options)).map((user) => user.id)
        assert.deepEqual(await ids({ limit: 10 }), ['user-c', 'user-a', 'user-b'])
        assert.deepEqual(await ids({ limit: 2 }), ['user-c', 'user-a'])
        assert.deepEqual(await ids({ limit: 2, afterId: 'user-a' }), ['user-b'])
        assert.deepEqual(await ids({ limit: 2, afterId: 'user-c' }), ['user-a', 'user-b'])
        assert.deepEqual(await ids({ limit: 2, afterId: 'user-b' }), [])
        assert.deepEqual(await ids({ limit: 2, afterId: 'user-unknown' }), [])
      }))

    test('list rejects a limit that is not a positive integer', () =>
      withStore(open, async (store) => {
        await assert.rejects(store.users.list({ limit: 0 }), RangeError)
        await assert.rejects(store.users.list({ limit: 1.5 }), RangeError)
      }))

    test('setPasswordHash replaces the hash and updatedAt; false for an unknown user', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        assert.equal(await store.users.setPasswordHash('user-ada', '$argon2id$new', T0 + 5), true)
        const user = await store.users.findById('user-ada')
        assert.equal(user?.passwordHash, '$argon2id$new')
        assert.equal(user?.updatedAt, T0 + 5)
        assert.equal(await store.users.setPasswordHash('user-nobody', '$argon2id$new', T0 + 5), false)
      }))

    test('setDisabled disables and enables; false for an unknown user', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        assert.equal(await store.users.setDisabled('user-ada', true, T0 + 1), true)
        const disabled = await store.users.findById('user-ada')
        assert.equal(disabled?.disabled, true)
        assert.equal(disabled?.updatedAt, T0 + 1)
        assert.equal(await store.users.setDisabled('user-ada', false, T0 + 2), true)
        assert.equal((await store.users.findById('user-ada'))?.disabled, false)
        assert.equal(await store.users.setDisabled('user-nobody', true, T0), false)
      }))

    test('raiseNotBefore moves the instant forward and never backwards', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        assert.equal(await store.users.raiseNotBefore('user-ada', T0 + 10), true)
        assert.equal((await store.users.findById('user-ada'))?.notBeforeAt, T0 + 10)
        assert.equal(await store.users.raiseNotBefore('user-ada', T0 + 5), true)
        assert.equal((await store.users.findById('user-ada'))?.notBeforeAt, T0 + 10)
        assert.equal(await store.users.raiseNotBefore('user-ada', T0 + 20), true)
        assert.equal((await store.users.findById('user-ada'))?.notBeforeAt, T0 + 20)
        assert.equal(await store.users.raiseNotBefore('user-nobody', T0), false)
      }))

    test('concurrent raiseNotBefore calls leave the greatest instant', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        const instants = [7, 3, 19, 11, 2, 17, 5, 13].map((offset) => T0 + offset)
        await Promise.all(instants.map((at) => store.users.raiseNotBefore('user-ada', at)))
        assert.equal((await store.users.findById('user-ada'))?.notBeforeAt, T0 + 19)
      }))
  })
}
