/**
 * Conformance of `Clients`: creating (scopes normalised, id collisions refused), finding and listing.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { NewClient } from '../ports.ts'
import { type OpenStore, T0, tokenHash, withStore } from './conformance-fixtures.ts'

function newClient(name: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    id: `client-${name}`,
    name: `Client ${name}`,
    secretHash: tokenHash(`secret-${name}`),
    scopes: ['orders:read', 'tokens:mint'],
    createdAt: T0,
    ...overrides,
  }
}

/**
 * Registers the `Clients` tests against stores produced by `open`.
 *
 * @example
 * describeClientsConformance(() => openSqliteStore({ file }))
 */
export function describeClientsConformance(open: OpenStore): void {
  describe('clients', () => {
    test('create stores the hash and sorted, unique scopes; findById returns the same record', () =>
      withStore(open, async (store) => {
        const created = await store.clients.create(
          newClient('a', { scopes: ['tokens:mint', 'orders:read', 'tokens:mint'] }),
        )
        const expected = {
          id: 'client-a',
          name: 'Client a',
          secretHash: tokenHash('secret-a'),
          scopes: ['orders:read', 'tokens:mint'],
          createdAt: T0,
          disabled: false,
        }
        assert.deepEqual(created, expected)
        assert.deepEqual(await store.clients.findById('client-a'), expected)
        assert.equal(await store.clients.findById('client-unknown'), undefined)
      }))

    test('a client without scopes reads back with an empty list', () =>
      withStore(open, async (store) => {
        await store.clients.create(newClient('bare', { scopes: [] }))
        assert.deepEqual((await store.clients.findById('client-bare'))?.scopes, [])
      }))

    test('an id collision rejects and leaves the first client untouched', () =>
      withStore(open, async (store) => {
        await store.clients.create(newClient('a'))
        await assert.rejects(store.clients.create(newClient('a', { name: 'Impostor', scopes: [] })))
        const kept = await store.clients.findById('client-a')
        assert.equal(kept?.name, 'Client a')
        assert.deepEqual(kept?.scopes, ['orders:read', 'tokens:mint'])
      }))

    test('list orders by creation then id and continues after an id', () =>
      withStore(open, async (store) => {
        await store.clients.create(newClient('late', { createdAt: T0 + 10 }))
        await store.clients.create(newClient('b'))
        await store.clients.create(newClient('a'))
        const all = await store.clients.list({ limit: 10 })
        assert.deepEqual(
          all.map((client) => client.id),
          ['client-a', 'client-b', 'client-late'],
        )
        const page = await store.clients.list({ limit: 1, afterId: 'client-a' })
        assert.deepEqual(
          page.map((client) => client.id),
          ['client-b'],
        )
        assert.deepEqual(await store.clients.list({ limit: 5, afterId: 'client-late' }), [])
        await assert.rejects(store.clients.list({ limit: 0 }), RangeError)
      }))
  })
}
