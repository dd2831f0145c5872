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
  T0,
  tokenHash,
  withStore,
} from './conformance-fixtures.ts'

/** One raw column write: `UPDATE table SET column = value WHERE keyColumn = keyValue`, bypassing checks. */
export interface RawColumnChange {
  readonly table:
    | 'users'
    | 'sessions'
    | 'refresh_tokens'
    | 'signing_keys'
    | 'user_identities'
    | 'oidc_logins'
    | 'security_events'
  readonly keyColumn: 'id' | 'kid' | 'state_hash'
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

    test('an identity’s verification flag other than 0 or 1 is rejected', () =>
      withStore(open, async (store) => {
        await store.users.create(newUser('ada'))
        await store.identities.create({
          id: 'id-a',
          userId: 'user-ada',
          providerId: 'google',
          issuer: 'https://accounts.google.com',
          subject: 'sub-a',
          email: 'ada@gmail.example',
          emailVerified: true,
          createdAt: T0,
          upstreamTokensCiphertext: null,
        })
        await write(store, {
          table: 'user_identities',
          keyColumn: 'id',
          keyValue: 'id-a',
          column: 'email_verified',
          value: 7,
        })
        await assertRowRejected(
          store.identities.findBySubject('https://accounts.google.com', 'sub-a'),
          'user_identities.email_verified',
          '7',
        )
        await assertRowRejected(
          store.identities.listForUser('user-ada'),
          'user_identities.email_verified',
          '7',
        )
      }))

    test('a login transaction with an unknown intent, or a link without a user, is not handed out', () =>
      withStore(open, async (store) => {
        const login = {
          providerId: 'google',
          browserHash: tokenHash('browser'),
          returnTo: '/',
          intent: 'login',
          userId: null,
          createdAt: T0,
          expiresAt: T0 + 600,
        } as const
        await store.oidcLogins.create({ ...login, stateHash: 'state-a' })
        await write(store, {
          table: 'oidc_logins',
          keyColumn: 'state_hash',
          keyValue: 'state-a',
          column: 'intent',
          value: 'admin',
        })
        await assertRowRejected(store.oidcLogins.consume('state-a', T0 + 5), 'oidc_logins.intent', 'admin')
        await store.oidcLogins.create({ ...login, stateHash: 'state-b' })
        await write(store, {
          table: 'oidc_logins',
          keyColumn: 'state_hash',
          keyValue: 'state-b',
          column: 'intent',
          value: 'link',
        })
        await assertRowRejected(
          store.oidcLogins.consume('state-b', T0 + 5),
          'oidc_logins.user_id',
          tokenHash('browser'),
        )
      }))
  })
}
