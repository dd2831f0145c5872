/**
 * Conformance of `OidcLogins`: a login transaction is taken once, before its expiry, by exactly one of
 * any number of concurrent callbacks; expired ones are purged.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { OidcLoginRecord } from '../oidc-ports.ts'
import { newUser, type OpenStore, T0, withStore } from './conformance-fixtures.ts'

const TTL_SECONDS = 600

/** The login transaction of state `state-<name>`, created at T0 and expiring TTL_SECONDS later. */
function newLogin(name: string, overrides: Partial<OidcLoginRecord> = {}): OidcLoginRecord {
  return {
    stateHash: `state-hash-${name}`,
    providerId: 'google',
    browserHash: `browser-hash-${name}`,
    returnTo: '/account',
    intent: 'login',
    userId: null,
    createdAt: T0,
    expiresAt: T0 + TTL_SECONDS,
    ...overrides,
  }
}

/**
 * Registers the `OidcLogins` tests against stores produced by `open`.
 *
 * @example
 * describeOidcLoginsConformance(() => openSqliteStore({ file }))
 */
export function describeOidcLoginsConformance(open: OpenStore): void {
  describe('oidc logins', () => {
    test('consume returns the stored transaction once; a replay gets undefined', () =>
      withStore(open, async (store) => {
        await store.oidcLogins.create(newLogin('a'))
        assert.deepEqual(await store.oidcLogins.consume('state-hash-a', T0 + 5), newLogin('a'))
        assert.equal(await store.oidcLogins.consume('state-hash-a', T0 + 6), undefined)
        assert.equal(await store.oidcLogins.consume('state-hash-unknown', T0 + 5), undefined)
      }))

    test('a link transaction keeps its user', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        const link = newLogin('link', {
          intent: 'link',
          userId: 'user-ada',
          returnTo: 'https://app.example/x',
        })
        await store.oidcLogins.create(link)
        assert.deepEqual(await store.oidcLogins.consume('state-hash-link', T0 + 5), link)
      }))

    test('an expiry equal to now is expired, and a refused consume writes nothing', () =>
      withStore(open, async (store) => {
        await store.oidcLogins.create(newLogin('a'))
        assert.equal(await store.oidcLogins.consume('state-hash-a', T0 + TTL_SECONDS), undefined)
        assert.equal(await store.oidcLogins.consume('state-hash-a', T0 + TTL_SECONDS + 1), undefined)
        // The refusals did not mark it consumed: one second before expiry it is still there to take.
        assert.equal(
          (await store.oidcLogins.consume('state-hash-a', T0 + TTL_SECONDS - 1))?.stateHash,
          'state-hash-a',
        )
      }))

    test('10 concurrent consumes of one state: exactly one receives the transaction', () =>
      withStore(open, async (store) => {
        await store.oidcLogins.create(newLogin('raced'))
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, () => store.oidcLogins.consume('state-hash-raced', T0 + 5)),
        )
        assert.deepEqual(
          outcomes.filter((outcome) => outcome !== undefined),
          [newLogin('raced')],
        )
        assert.equal(outcomes.filter((outcome) => outcome === undefined).length, 9)
      }))

    test('create rejects a taken state hash, a link without a user and a link to an unknown user', () =>
      withStore(open, async (store) => {
        await store.oidcLogins.create(newLogin('a'))
        await assert.rejects(store.oidcLogins.create(newLogin('a', { browserHash: 'browser-hash-attacker' })))
        assert.equal((await store.oidcLogins.consume('state-hash-a', T0 + 5))?.browserHash, 'browser-hash-a')
        await assert.rejects(store.oidcLogins.create(newLogin('orphan', { intent: 'link', userId: null })))
        await assert.rejects(
          store.oidcLogins.create(newLogin('ghost', { intent: 'link', userId: 'user-nobody' })),
        )
        assert.equal(await store.oidcLogins.consume('state-hash-orphan', T0 + 5), undefined)
        assert.equal(await store.oidcLogins.consume('state-hash-ghost', T0 + 5), undefined)
      }))

    test('purgeExpired deletes transactions that expired before the instant, consumed or not', () =>
      withStore(open, async (store) => {
        await store.oidcLogins.create(newLogin('old', { expiresAt: T0 + 10 }))
        await store.oidcLogins.create(newLogin('used', { expiresAt: T0 + 20 }))
        await store.oidcLogins.create(newLogin('edge', { expiresAt: T0 + 30 }))
        await store.oidcLogins.create(newLogin('live', { expiresAt: T0 + 1000 }))
        assert.notEqual(await store.oidcLogins.consume('state-hash-used', T0 + 1), undefined)
        assert.equal(await store.oidcLogins.purgeExpired(T0 + 30), 2)
        assert.equal(await store.oidcLogins.purgeExpired(T0 + 30), 0)
        // `edge` expired exactly at the instant: not before it, so kept (and `consume` refuses it anyway).
        assert.equal(await store.oidcLogins.purgeExpired(T0 + 31), 1)
        assert.equal(
          (await store.oidcLogins.consume('state-hash-live', T0 + 31))?.stateHash,
          'state-hash-live',
        )
      }))
  })
}
