/**
 * Conformance of reads against rows that break the schema's promises (a hand edit, a bad migration,
 * corruption): the store must reject them with `StoreRowInvalidError` naming the column, and must not
 * echo the value, which may be a hash. Needs a hook that writes a raw column behind the ports' back.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Store } from '../ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import {
  newUser,
  type OpenStore,
  rotation,
  signingKey,
  startSession,
  tokenHash,
  withStore,
} from './conformance-fixtures.ts'

/** One raw column write: `UPDATE table SET column = value WHERE keyColumn = keyValue`, bypassing checks. */
export interface RawColumnChange {
  readonly table: 'users' | 'sessions' | 'refresh_tokens' | 'signing_keys'
  readonly keyColumn: 'id' | 'kid'
  readonly keyValue: string
  readonly column: string
  readonly value: string | number | null
}

/** Writes a raw column of the store's database, bypassing CHECK constraints. */
export type WriteRawColumn = (store: Store, change: RawColumnChange) => Promise<void>

async function assertRowRejected(read: Promise<unknown>, column: string, hiddenValue: string): Promise<void> {
  await assert.rejects(read, (error: unknown) => {
    assert.ok(error instanceof StoreRowInvalidError, 'a StoreRowInvalidError')
    assert.equal(error.code, 'store_row_invalid')
    assert.match(error.message, new RegExp(`^${column.replace('.', '\\.')}: `))
    assert.ok(!error.message.includes(hiddenValue), 'the value stays out of the message')
    return true
  })
}

/**
 * Registers the bad-row tests, or skips them when the store under test offers no raw write hook.
 *
 * @example
 * describeRowParsingConformance(open, writeRawColumn)
 */
export function describeRowParsingConformance(
  open: OpenStore,
  writeRawColumn: WriteRawColumn | undefined,
): void {
  const skip = writeRawColumn === undefined ? 'no raw column hook for this store' : false
  const write = async (store: Store, change: RawColumnChange): Promise<void> => {
    if (writeRawColumn === undefined) throw new Error('unreachable: skipped without a hook')
    await writeRawColumn(store, change)
  }

  describe('rows that break the schema', { skip }, () => {
    test('an unknown session state is rejected, not coerced', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await write(store, {
          table: 'sessions',
          keyColumn: 'id',
          keyValue: 's1',
          column: 'state',
          value: 'paused',
        })
        await assertRowRejected(store.sessions.findById('s1'), 'sessions.state', 'paused')
      }))

    test('an unknown refresh-token state stops the rotation', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        await write(store, {
          table: 'refresh_tokens',
          keyColumn: 'id',
          keyValue: 's1-t0',
          column: 'state',
          value: 'stolen',
        })
        await assertRowRejected(
          store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1')),
          'refresh_tokens.state',
          'stolen',
        )
      }))

    test('a flag other than 0 or 1 is rejected', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        await write(store, {
          table: 'users',
          keyColumn: 'id',
          keyValue: 'user-ada',
          column: 'disabled',
          value: 2,
        })
        await assertRowRejected(store.users.findById('user-ada'), 'users.disabled', '2')
      }))

    test('an instant that is not an integer is rejected', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        await write(store, {
          table: 'users',
          keyColumn: 'id',
          keyValue: 'user-ada',
          column: 'created_at',
          value: 'yesterday',
        })
        await assertRowRejected(store.users.findByEmail('ada@example.test'), 'users.created_at', 'yesterday')
        await write(store, {
          table: 'users',
          keyColumn: 'id',
          keyValue: 'user-ada',
          column: 'created_at',
          value: 1.5,
        })
        await assertRowRejected(store.users.list({ limit: 5 }), 'users.created_at', '1.5')
      }))

    test('a rejected value that looks like a token hash stays out of the message', () =>
      withStore(open, async (store) => {
        await startSession(store, 's1')
        const hashLike = tokenHash('a-real-looking-token')
        await write(store, {
          table: 'refresh_tokens',
          keyColumn: 'id',
          keyValue: 's1-t0',
          column: 'state',
          value: hashLike,
        })
        await assertRowRejected(
          store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1')),
          'refresh_tokens.state',
          hashLike,
        )
      }))

    test('an unknown signing algorithm is rejected', () =>
      withStore(open, async (store) => {
        await store.signingKeys.insert(signingKey('k1', 'current'))
        await write(store, {
          table: 'signing_keys',
          keyColumn: 'kid',
          keyValue: 'k1',
          column: 'alg',
          value: 'RS256',
        })
        await assertRowRejected(store.signingKeys.listAll(), 'signing_keys.alg', 'RS256')
      }))
  })
}
