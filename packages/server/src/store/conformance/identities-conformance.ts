/**
 * Conformance of `Identities`: linking an upstream `(issuer, subject)` once, its atomicity under concurrent
 * links, listing, recording logins and unlinking only one's own identity.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { NewIdentity } from '../oidc-ports.ts'
import type { Store } from '../ports.ts'
import { newUser, type OpenStore, T0, withStore } from './conformance-fixtures.ts'

const GOOGLE = 'https://accounts.google.com'
const ENTRA_TENANT = 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0'

/** Identity `id-<name>` of `user-<owner>` for subject `sub-<name>` at Google. */
function newIdentity(name: string, owner: string, overrides: Partial<NewIdentity> = {}): NewIdentity {
  return {
    id: `id-${name}`,
    userId: `user-${owner}`,
    providerId: 'google',
    issuer: GOOGLE,
    subject: `sub-${name}`,
    email: `${name}@gmail.example`,
    emailVerified: true,
    createdAt: T0,
    upstreamTokensCiphertext: null,
    ...overrides,
  }
}

async function createUsers(store: Store, ...names: string[]): Promise<void> {
  for (const name of names) assert.equal((await store.users.create(newUser(name))).ok, true)
}

/**
 * Registers the `Identities` tests against stores produced by `open`.
 *
 * @example
 * describeIdentitiesConformance(() => openSqliteStore({ file }))
 */
export function describeIdentitiesConformance(open: OpenStore): void {
  describe('identities', () => {
    test('create links the identity (last login = creation); findBySubject returns the same record', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada')
        const created = await store.identities.create(
          newIdentity('a', 'ada', { emailVerified: false, upstreamTokensCiphertext: 'v1.ciphertext' }),
        )
        const expected = {
          id: 'id-a',
          userId: 'user-ada',
          providerId: 'google',
          issuer: GOOGLE,
          subject: 'sub-a',
          email: 'a@gmail.example',
          emailVerified: false,
          createdAt: T0,
          lastLoginAt: T0,
          upstreamTokensCiphertext: 'v1.ciphertext',
        }
        assert.deepEqual(created, expected)
        assert.deepEqual(await store.identities.findBySubject(GOOGLE, 'sub-a'), expected)
        assert.equal(await store.identities.findBySubject(GOOGLE, 'sub-unknown'), undefined)
        // OIDC Core §5.7: a subject is unique only within its issuer.
        assert.equal(await store.identities.findBySubject(ENTRA_TENANT, 'sub-a'), undefined)
      }))

    test('a taken (issuer, subject) resolves undefined and leaves the first link untouched', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada', 'bob')
        await store.identities.create(newIdentity('a', 'ada'))
        const second = await store.identities.create(
          newIdentity('a', 'bob', { id: 'id-b', email: 'bob@gmail.example' }),
        )
        assert.equal(second, undefined)
        assert.equal((await store.identities.findBySubject(GOOGLE, 'sub-a'))?.userId, 'user-ada')
        assert.deepEqual(await store.identities.listForUser('user-bob'), [])
        // The same subject under another issuer is another person.
        const other = await store.identities.create(
          newIdentity('a', 'bob', { id: 'id-b', issuer: ENTRA_TENANT, providerId: 'entra' }),
        )
        assert.equal(other?.userId, 'user-bob')
      }))

    test('10 concurrent links of one (issuer, subject): exactly one succeeds, the rest resolve undefined', () =>
      withStore(open, async (store) => {
        const owners = Array.from({ length: 10 }, (_, i) => `racer${i}`)
        await createUsers(store, ...owners)
        const outcomes = await Promise.all(
          owners.map((owner, i) =>
            store.identities.create(newIdentity('raced', owner, { id: `id-raced-${i}` })),
          ),
        )
        const winners = outcomes.filter((outcome) => outcome !== undefined)
        assert.equal(winners.length, 1)
        assert.equal(outcomes.filter((outcome) => outcome === undefined).length, 9)
        assert.deepEqual(await store.identities.findBySubject(GOOGLE, 'sub-raced'), winners[0])
      }))

    test('other failures reject: an unknown user, an id collision', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada')
        await assert.rejects(store.identities.create(newIdentity('ghost', 'nobody')))
        assert.equal(await store.identities.findBySubject(GOOGLE, 'sub-ghost'), undefined)
        await store.identities.create(newIdentity('a', 'ada'))
        await assert.rejects(store.identities.create(newIdentity('a', 'ada', { subject: 'sub-other' })))
        assert.equal(await store.identities.findBySubject(GOOGLE, 'sub-other'), undefined)
      }))

    test('listForUser returns only that user’s identities, by creation then id', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada', 'bob')
        await store.identities.create(newIdentity('late', 'ada', { createdAt: T0 + 10 }))
        await store.identities.create(newIdentity('b', 'ada'))
        await store.identities.create(newIdentity('a', 'ada'))
        await store.identities.create(newIdentity('bobs', 'bob'))
        assert.deepEqual(
          (await store.identities.listForUser('user-ada')).map((identity) => identity.id),
          ['id-a', 'id-b', 'id-late'],
        )
        assert.deepEqual(await store.identities.listForUser('user-nobody'), [])
      }))

    test('recordLogin replaces the time, email, verification and upstream tokens', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada')
        await store.identities.create(newIdentity('a', 'ada', { upstreamTokensCiphertext: 'v1.old' }))
        await store.identities.recordLogin('id-a', {
          at: T0 + 300,
          email: 'ada@new.example',
          emailVerified: false,
          upstreamTokensCiphertext: 'v1.new',
        })
        const updated = await store.identities.findBySubject(GOOGLE, 'sub-a')
        assert.deepEqual(
          [updated?.lastLoginAt, updated?.email, updated?.emailVerified, updated?.upstreamTokensCiphertext],
          [T0 + 300, 'ada@new.example', false, 'v1.new'],
        )
        assert.equal(updated?.createdAt, T0)
        await store.identities.recordLogin('id-a', {
          at: T0 + 600,
          email: null,
          emailVerified: true,
          upstreamTokensCiphertext: null,
        })
        const cleared = await store.identities.findBySubject(GOOGLE, 'sub-a')
        assert.deepEqual(
          [cleared?.lastLoginAt, cleared?.email, cleared?.emailVerified, cleared?.upstreamTokensCiphertext],
          [T0 + 600, null, true, null],
        )
        // An unknown id writes nothing and does not fail.
        await store.identities.recordLogin('id-unknown', {
          at: T0 + 900,
          email: null,
          emailVerified: false,
          upstreamTokensCiphertext: null,
        })
        assert.equal((await store.identities.listForUser('user-ada')).length, 1)
      }))

    test('delete unlinks only the caller’s identity; another user’s id deletes nothing', () =>
      withStore(open, async (store) => {
        await createUsers(store, 'ada', 'bob')
        await store.identities.create(newIdentity('a', 'ada'))
        assert.equal(await store.identities.delete('user-bob', 'id-a'), false)
        assert.equal((await store.identities.findBySubject(GOOGLE, 'sub-a'))?.userId, 'user-ada')
        assert.equal(await store.identities.delete('user-ada', 'id-unknown'), false)
        assert.equal(await store.identities.delete('user-ada', 'id-a'), true)
        assert.equal(await store.identities.delete('user-ada', 'id-a'), false)
        assert.equal(await store.identities.findBySubject(GOOGLE, 'sub-a'), undefined)
        // Once unlinked, the upstream account can be linked again, to anyone.
        const relinked = await store.identities.create(newIdentity('a', 'bob', { id: 'id-a2' }))
        assert.equal(relinked?.userId, 'user-bob')
      }))
  })
}
