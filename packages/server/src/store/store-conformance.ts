/**
 * The one conformance suite every `Store` runs (like lucia's adapter-test): each port method, its
 * outcomes, and the concurrency promise in its JSDoc. SQLite runs it in `sqlite/sqlite-store.test.ts`;
 * PostgreSQL will call the same function with its own `open`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { describeClientsConformance } from './conformance/clients-conformance.ts'
import { type OpenStore, T0, withStore } from './conformance/conformance-fixtures.ts'
import { describeDpopBindingConformance } from './conformance/dpop-binding-conformance.ts'
import { describeIdentitiesConformance } from './conformance/identities-conformance.ts'
import { describeOidcLoginsConformance } from './conformance/oidc-logins-conformance.ts'
import { describeRefreshRotationConformance } from './conformance/refresh-rotation-conformance.ts'
import { describeRevocationListingConformance } from './conformance/revocation-listing-conformance.ts'
import { describeRowParsingConformance, type WriteRawColumn } from './conformance/row-parsing-conformance.ts'
import { describeSecurityEventsConformance } from './conformance/security-events-conformance.ts'
import { describeSessionsConformance } from './conformance/sessions-conformance.ts'
import { describeSigningKeysConformance } from './conformance/signing-keys-conformance.ts'
import { describeTokenUsesConformance } from './conformance/token-uses-conformance.ts'
import { describeUsersConformance } from './conformance/users-conformance.ts'
import type { Store } from './ports.ts'

export type { RawColumnChange, WriteRawColumn } from './conformance/row-parsing-conformance.ts'

export interface StoreConformanceOptions {
  /**
   * Overwrites one column of one row behind the ports' back, bypassing CHECK constraints, so the suite
   * can prove that reads reject rows breaking the schema. Without it those tests are skipped.
   */
  readonly writeRawColumn?: WriteRawColumn
}

/**
 * Registers node:test suites that check a `Store` implementation against the port contract. `open` must
 * resolve a fresh, empty store each time; every test opens its own and closes it.
 *
 * @example
 * describeStoreConformance('sqlite', () => openSqliteStore({ file: join(mkdtempSync(base), 'tessera.db') }))
 */
export function describeStoreConformance(
  name: string,
  open: () => Promise<Store>,
  options: StoreConformanceOptions = {},
): void {
  const openFresh: OpenStore = open
  describe(`store conformance: ${name}`, () => {
    test('ping resolves while open and rejects once closed; close twice is harmless', async () => {
      const store = await openFresh()
      assert.ok(store.kind === 'sqlite' || store.kind === 'postgres')
      await store.ping()
      await store.close()
      await store.close()
      await assert.rejects(store.ping())
    })

    test('a fresh store is empty', () =>
      withStore(openFresh, async (store) => {
        assert.deepEqual(await store.users.list({ limit: 10 }), [])
        assert.deepEqual(await store.signingKeys.listAll(), [])
      }))

    describeUsersConformance(openFresh)
    describeSessionsConformance(openFresh)
    describeRefreshRotationConformance(openFresh)
    describeDpopBindingConformance(openFresh)
    describeSigningKeysConformance(openFresh)
    describeRowParsingConformance(openFresh, options.writeRawColumn)
    describeClientsConformance(openFresh)
    describeTokenUsesConformance(
      async () => {
        const store = await openFresh()
        return { tokenUses: store.tokenUses, dispose: () => store.close() }
      },
      { baseAt: () => T0, purgesExplicitly: true },
    )
    describeRevocationListingConformance(openFresh)
    describeIdentitiesConformance(openFresh)
    describeOidcLoginsConformance(openFresh)
    describeSecurityEventsConformance(openFresh, options.writeRawColumn)
  })
}
