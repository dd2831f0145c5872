import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createManualClock, cryptoRandom } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { registerClient, verifyClientSecret } from './service-clients.ts'

describe('service clients (real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-clients-'))
  const clock = createManualClock(1_700_000_000)
  let store: Store
  before(async () => {
    store = await openSqliteStore({ file: join(dir, 'tessera.db') })
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const deps = (): Parameters<typeof registerClient>[0] => ({ store, clock, random: cryptoRandom })

  test('registers a cli_ client whose secret is returned once and stored only as a hash', async () => {
    const outcome = await registerClient(deps(), {
      name: ' orders-api ',
      scopes: 'tokens:consume revocations:read',
    })
    assert.ok(outcome.ok)
    assert.match(outcome.client.id, /^cli_[A-Za-z0-9_-]{22}$/)
    assert.equal(outcome.client.name, 'orders-api')
    assert.deepEqual(outcome.client.scopes, ['revocations:read', 'tokens:consume'])
    assert.equal(outcome.client.createdAt, 1_700_000_000)
    const stored = await store.clients.findById(outcome.client.id)
    assert.equal(JSON.stringify(stored).includes(outcome.secret), false)
  })

  test('refuses a bad name or scope list, naming the field', async () => {
    for (const name of ['', '   ', 'x'.repeat(101), 'line\nbreak', 'bell\u0007']) {
      const outcome = await registerClient(deps(), { name, scopes: '' })
      assert.deepEqual(outcome.ok ? undefined : outcome.field, 'name', JSON.stringify(name))
    }
    for (const scopes of ['a  b', 'say"hi"', 'é']) {
      const outcome = await registerClient(deps(), { name: 'n', scopes })
      assert.deepEqual(outcome.ok ? undefined : outcome.field, 'scopes', scopes)
    }
  })

  test('verifyClientSecret: one answer for a wrong secret, an unknown id and garbage', async () => {
    const outcome = await registerClient(deps(), { name: 'svc', scopes: 'a' })
    assert.ok(outcome.ok)
    assert.equal((await verifyClientSecret(store, outcome.client.id, outcome.secret))?.id, outcome.client.id)
    const other = await registerClient(deps(), { name: 'other', scopes: '' })
    assert.ok(other.ok)
    assert.equal(await verifyClientSecret(store, outcome.client.id, other.secret), undefined)
    assert.equal(await verifyClientSecret(store, 'cli_AAAAAAAAAAAAAAAAAAAAAA', outcome.secret), undefined)
    assert.equal(await verifyClientSecret(store, 'tessera', ''), undefined)
    assert.equal(await verifyClientSecret(store, outcome.client.id, ''), undefined)
  })
})
