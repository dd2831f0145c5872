// PostgreSQL's one-statement rotation (rotate-in-one-statement.ts) on its own: it must rotate exactly when
// decideRotation says `rotate`, leave the rows the port promises, and write nothing in every other case
// (the shared transaction answers those). The port as a whole runs the conformance suite in
// postgres-store.test.ts.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import { TestDatabase } from '../../../../../test/support/postgres-schemas.ts'
import { requirePostgres } from '../../../../../test/support/services.ts'
import { GRACE_SECONDS, rotation, startSession, T0, tokenHash } from '../conformance/conformance-fixtures.ts'
import type { Database } from '../database-schema.ts'
import type { RotateInput, Store } from '../ports.ts'
import { StorePool } from './postgres-pool.ts'
import {
  ROTATE_IN_ONE_STATEMENT_NAME,
  ROTATE_IN_ONE_STATEMENT_SQL,
  rotateInOneStatement,
} from './rotate-in-one-statement.ts'

const databaseUrl = await requirePostgres()
const database = databaseUrl === undefined ? undefined : new TestDatabase(databaseUrl)
after(() => database?.close())
const skip = database === undefined ? 'PostgreSQL not reachable' : false

/** A store for setting rows up, and a bare Kysely on its schema to call the statement directly. */
async function withStoreAndDb(
  options: { readonly maxConnections: number },
  work: (store: Store, db: Kysely<Database>) => Promise<void>,
): Promise<void> {
  if (database === undefined) throw new Error('unreachable: the suite is skipped without PostgreSQL')
  const store = await database.openStore()
  const pool = new StorePool({
    url: database.url,
    schema: database.schemaOf(store),
    maxConnections: options.maxConnections,
    connectionTimeoutMs: 5000,
    statementTimeoutMs: 10_000,
    preparedStatements: new Map([[ROTATE_IN_ONE_STATEMENT_SQL, ROTATE_IN_ONE_STATEMENT_NAME]]),
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  try {
    await work(store, db)
  } finally {
    await db.destroy()
    await store.close()
  }
}

/** What a rotation could touch: the session, the presented token, and whether a successor exists. */
async function familyState(store: Store, sessionId: string, input: RotateInput): Promise<unknown> {
  return {
    session: await store.sessions.findById(sessionId),
    presented: await store.sessions.findRefreshToken(input.tokenHash),
    successor: await store.sessions.findRefreshToken(input.successor.tokenHash),
  }
}

describe('postgres: rotation in one statement', { skip }, () => {
  test('rotates a live token and leaves exactly the rows the outcome describes', () =>
    withStoreAndDb({ maxConnections: 2 }, async (store, db) => {
      await startSession(store, 's1', { expiresAt: T0 + 500 })
      const outcome = await rotateInOneStatement(db, rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
      assert.ok(outcome?.kind === 'rotated')
      assert.deepEqual(await store.sessions.findById('s1'), outcome.session)
      assert.deepEqual(
        [outcome.session.lastUsedAt, outcome.session.ip, outcome.session.userAgent],
        [T0 + 60, '198.51.100.7', 'conformance/2.0'],
      )
      assert.deepEqual(await store.sessions.findRefreshToken(tokenHash('s1-t1')), outcome.successor)
      assert.equal(outcome.successor.expiresAt, T0 + 500, 'never past the session end')
      const parent = await store.sessions.findRefreshToken(tokenHash('s1-t0'))
      assert.deepEqual([parent?.state, parent?.rotatedAt, parent?.successorId], ['rotated', T0 + 60, 's1-t1'])
      assert.deepEqual(outcome.user, await store.users.findById('user-owner'))
    }))

  test('writes nothing, and leaves the answer to the transaction, whenever the token is not live', () =>
    withStoreAndDb({ maxConnections: 2 }, async (store, db) => {
      await startSession(store, 'graced')
      await store.sessions.rotateRefreshToken(rotation('graced-t0', 'graced-t1', { now: T0 + 60 }))
      await startSession(store, 'reused')
      await store.sessions.rotateRefreshToken(rotation('reused-t0', 'reused-t1', { now: T0 + 60 }))
      await startSession(store, 'other-client')
      await startSession(store, 'idle', { tokenExpiresAt: T0 + 100 })
      await startSession(store, 'ended', { expiresAt: T0 + 100 })
      await startSession(store, 'revoked')
      await store.sessions.revoke('revoked', { at: T0 + 1, reason: 'logout' })
      // Tokens never outlive their session through the ports; shorten the session behind their back so
      // that its own end is what stops the rotation.
      await startSession(store, 'cut-short')
      await db.executeQuery(
        CompiledQuery.raw('update sessions set expires_at = $1 where id = $2', [T0 + 100, 'cut-short']),
      )
      const cases: readonly (readonly [string, RotateInput])[] = [
        ['graced', rotation('graced-t0', 'graced-x', { now: T0 + 60 + GRACE_SECONDS })],
        ['reused', rotation('reused-t0', 'reused-x', { now: T0 + 60 + GRACE_SECONDS + 1 })],
        ['other-client', rotation('other-client-t0', 'other-client-x', { clientId: 'mobile' })],
        ['idle', rotation('idle-t0', 'idle-x', { now: T0 + 100 })],
        ['ended', rotation('ended-t0', 'ended-x', { now: T0 + 100 })],
        ['cut-short', rotation('cut-short-t0', 'cut-short-x', { now: T0 + 100 })],
        ['revoked', rotation('revoked-t0', 'revoked-x')],
        ['unknown', rotation('never-issued', 'unknown-x')],
      ]
      for (const [sessionId, input] of cases) {
        const before = await familyState(store, sessionId, input)
        assert.equal(await rotateInOneStatement(db, input), undefined, sessionId)
        assert.deepEqual(await familyState(store, sessionId, input), before, sessionId)
      }
      // Just inside the edges it does rotate: the comparisons are the state machine's, not off by one.
      const inTime = await rotateInOneStatement(db, rotation('idle-t0', 'idle-t1', { now: T0 + 99 }))
      assert.equal(inTime?.kind, 'rotated')
    }))

  test('of 20 simultaneous calls with one token exactly one rotates; the rest write nothing', () =>
    withStoreAndDb({ maxConnections: 10 }, async (store, db) => {
      await startSession(store, 's1')
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => rotateInOneStatement(db, rotation('s1-t0', `s1-t1-${i}`))),
      )
      const rotated = outcomes.filter((outcome) => outcome?.kind === 'rotated')
      assert.equal(rotated.length, 1)
      assert.equal(outcomes.filter((outcome) => outcome === undefined).length, 19)
      const successors = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.sessions.findRefreshToken(tokenHash(`s1-t1-${i}`))),
      )
      assert.equal(successors.filter((token) => token !== undefined).length, 1)
    }))

  test('runs as a named prepared statement, parsed once per connection', () =>
    withStoreAndDb({ maxConnections: 1 }, async (store, db) => {
      await startSession(store, 's1')
      await rotateInOneStatement(db, rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
      await rotateInOneStatement(db, rotation('s1-t1', 's1-t2', { now: T0 + 61 }))
      // One connection in the pool: this query runs in the same server session as the rotations.
      const { rows } = await db.executeQuery<{ readonly name: unknown }>(
        CompiledQuery.raw('select name from pg_prepared_statements'),
      )
      assert.deepEqual(
        rows.map((row) => row.name),
        [ROTATE_IN_ONE_STATEMENT_NAME],
      )
    }))
})
