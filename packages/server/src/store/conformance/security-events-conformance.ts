/**
 * Conformance of `SecurityEvents`: events come back exactly as appended, newest first, filtered by user,
 * type and time; keyset pages cover every event once even while new ones arrive; bounds are enforced on
 * write; pruning deletes exactly the older events, in batches; rows that break the schema are rejected.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Store } from '../ports.ts'
import type { SecurityEventRecord } from '../security-ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { newUser, type OpenStore, T0, withStore } from './conformance-fixtures.ts'
import type { WriteRawColumn } from './row-parsing-conformance.ts'

/** An event `name` at `T0 + offset`; the id sorts with the time, like the domain's ids. */
function event(
  name: string,
  offset: number,
  overrides: Partial<SecurityEventRecord> = {},
): SecurityEventRecord {
  return {
    id: `evt_${(T0 + offset).toString(16).padStart(10, '0')}${name}`,
    at: T0 + offset,
    type: 'login_succeeded',
    userId: 'usr_ada',
    sessionId: null,
    clientId: 'tessera',
    ip: '192.0.2.1',
    userAgent: 'conformance/1.0',
    details: { method: 'password' },
    ...overrides,
  }
}

async function appendAll(store: Store, events: readonly SecurityEventRecord[]): Promise<void> {
  for (const e of events) await store.securityEvents.append(e)
}

const ids = (events: readonly SecurityEventRecord[]): string[] => events.map((e) => e.id)

/**
 * Registers the `SecurityEvents` tests against stores produced by `open`; the bad-row tests need
 * `writeRawColumn` and are skipped without it.
 *
 * @example
 * describeSecurityEventsConformance(() => openSqliteStore({ file }), writeRawColumn)
 */
export function describeSecurityEventsConformance(
  open: OpenStore,
  writeRawColumn: WriteRawColumn | undefined,
): void {
  describe('security events', () => {
    test('an appended event reads back field for field, details included', () =>
      withStore(open, async (store) => {
        const full = event('a', 1, {
          type: 'suspicious_refresh',
          sessionId: 'ses_1',
          ip: '2001:db8::1',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
          details: { action: 'reported', count: 3, revoked: false, note: 'ünïcødé ✓', none: null },
        })
        const bare = event('b', 2, { userId: null, clientId: null, ip: null, userAgent: null, details: {} })
        await appendAll(store, [full, bare])
        assert.deepEqual(await store.securityEvents.list({ limit: 10 }), [bare, full])
      }))

    test('lists newest first by time, then by id within one second', () =>
      withStore(open, async (store) => {
        await appendAll(store, [event('x', 5), event('a', 9), event('b', 9), event('y', 1)])
        assert.deepEqual(ids(await store.securityEvents.list({ limit: 10 })), [
          event('b', 9).id,
          event('a', 9).id,
          event('x', 5).id,
          event('y', 1).id,
        ])
      }))

    test('filters by user, by type, and by [since, until)', () =>
      withStore(open, async (store) => {
        await appendAll(store, [
          event('a', 10),
          event('b', 20, { userId: 'usr_bob' }),
          event('c', 30, { type: 'login_failed', userId: null }),
          event('d', 40, { type: 'login_failed' }),
        ])
        const list = store.securityEvents.list.bind(store.securityEvents)
        assert.deepEqual(ids(await list({ userId: 'usr_ada', limit: 10 })), [
          event('d', 40).id,
          event('a', 10).id,
        ])
        assert.deepEqual(ids(await list({ type: 'login_failed', limit: 10 })), [
          event('d', 40).id,
          event('c', 30).id,
        ])
        assert.deepEqual(ids(await list({ userId: 'usr_ada', type: 'login_failed', limit: 10 })), [
          event('d', 40).id,
        ])
        assert.deepEqual(ids(await list({ since: T0 + 20, until: T0 + 40, limit: 10 })), [
          event('c', 30).id,
          event('b', 20).id,
        ])
        assert.deepEqual(await list({ userId: 'usr_nobody', limit: 10 }), [])
      }))

    test('keyset pages cover every event once, also when newer events arrive between pages', () =>
      withStore(open, async (store) => {
        const all = Array.from({ length: 7 }, (_, i) => event(`e${i}`, Math.floor(i / 2)))
        await appendAll(store, all)
        const seen: string[] = []
        let after: SecurityEventRecord | undefined
        for (let page = 0; page < 10; page++) {
          const rows = await store.securityEvents.list({
            limit: 3,
            ...(after === undefined ? {} : { after: { at: after.at, id: after.id } }),
          })
          seen.push(...ids(rows))
          if (rows.length < 3) break
          after = rows.at(-1)
          // Appended after the first page: newer than everything listed, so never on a later page.
          if (page === 0) await store.securityEvents.append(event('late', 100))
        }
        const expected = [...all].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
        assert.deepEqual(seen, ids(expected))
      }))

    test('a limit outside 1–1000 is a RangeError', () =>
      withStore(open, async (store) => {
        for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
          await assert.rejects(store.securityEvents.list({ limit }), RangeError)
        }
        assert.deepEqual(await store.securityEvents.list({ limit: 1000 }), [])
      }))

    test('append refuses oversized details, user agent and type, and a taken id, writing nothing', () =>
      withStore(open, async (store) => {
        await store.securityEvents.append(event('a', 1))
        const tooLong = 'x'.repeat(2100)
        await assert.rejects(store.securityEvents.append(event('big', 2, { details: { note: tooLong } })))
        await assert.rejects(store.securityEvents.append(event('ua', 3, { userAgent: 'u'.repeat(513) })))
        await assert.rejects(store.securityEvents.append(event('ty', 4, { type: 't'.repeat(65) })))
        await assert.rejects(store.securityEvents.append(event('ty', 5, { type: '' })))
        await assert.rejects(store.securityEvents.append(event('a', 1, { type: 'key_rotated' })))
        assert.deepEqual(await store.securityEvents.list({ limit: 10 }), [event('a', 1)])
      }))

    test('20 concurrent appends all land', () =>
      withStore(open, async (store) => {
        const batch = Array.from({ length: 20 }, (_, i) => event(`c${String(i).padStart(2, '0')}`, i))
        await Promise.all(batch.map((e) => store.securityEvents.append(e)))
        assert.equal((await store.securityEvents.list({ limit: 100 })).length, 20)
      }))

    test('events outlive the user they name', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        await store.securityEvents.append(event('a', 1, { userId: 'user-ada' }))
        assert.deepEqual(ids(await store.securityEvents.list({ userId: 'user-ada', limit: 10 })), [
          event('a', 1).id,
        ])
      }))

    test('pruneBefore deletes exactly the events before the instant, across several batches', () =>
      withStore(open, async (store) => {
        // More than one prune batch (1000) of old events, written 50 at a time.
        const old = Array.from({ length: 1050 }, (_, i) => event(`o${String(i).padStart(4, '0')}`, i % 10))
        for (let i = 0; i < old.length; i += 50) {
          await Promise.all(old.slice(i, i + 50).map((e) => store.securityEvents.append(e)))
        }
        await appendAll(store, [event('edge', 10), event('new', 11)])
        assert.equal(await store.securityEvents.pruneBefore(T0 + 10), 1050)
        assert.equal(await store.securityEvents.pruneBefore(T0 + 10), 0)
        assert.deepEqual(ids(await store.securityEvents.list({ limit: 10 })), [
          event('new', 11).id,
          event('edge', 10).id,
        ])
      }))

    const skip = writeRawColumn === undefined ? 'no raw column hook for this store' : false
    test('rows whose details or type break the schema are rejected without echoing them', { skip }, () =>
      withStore(open, async (store) => {
        if (writeRawColumn === undefined) throw new Error('unreachable: skipped without a hook')
        const planted = [
          { column: 'details', value: '{"a":{"nested":1}}' },
          { column: 'details', value: '{"a":1,"a":2}' },
          { column: 'details', value: '[1,2]' },
          { column: 'details', value: '{"n":1.5}' },
          { column: 'details', value: 'not json secret-value' },
          { column: 'type', value: '' },
          { column: 'at', value: 'secret-value' },
        ] as const
        for (const [index, change] of planted.entries()) {
          const row = event(`bad${index}`, 1)
          await store.securityEvents.append(row)
          await writeRawColumn(store, {
            table: 'security_events',
            keyColumn: 'id',
            keyValue: row.id,
            column: change.column,
            value: change.value,
          })
          await assert.rejects(store.securityEvents.list({ limit: 10 }), (error: unknown) => {
            assert.ok(error instanceof StoreRowInvalidError)
            assert.match(error.message, new RegExp(`^security_events\\.${change.column}: `))
            assert.ok(!error.message.includes('secret-value'))
            return true
          })
          // Cleared before the next plant; the last one (a text `at`) would not compare as a time.
          if (index < planted.length - 1) await store.securityEvents.pruneBefore(T0 + 2)
        }
      }),
    )
  })
}
