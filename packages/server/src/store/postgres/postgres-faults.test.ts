// PostgreSQL failing under a running store: refused connections, an exhausted pool, a statement stuck on a
// lock, the server killing a connection mid-transaction or while idle. Each must surface as
// PostgresUnavailableError (the HTTP layer's 503 + Retry-After), never crash the process, and the store
// must recover by itself once the database answers again.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { PoolClient } from 'pg'
import { freshSchemaName, TestDatabase } from '../../../../../test/support/postgres-schemas.ts'
import { requirePostgres } from '../../../../../test/support/services.ts'
import { rotation, startSession } from '../conformance/conformance-fixtures.ts'
import type { Store } from '../ports.ts'
import { openPostgresStore, type PostgresStoreOptions } from './open-postgres-store.ts'
import { postgresSqlState } from './postgres-dialect-traits.ts'
import { PostgresUnavailableError } from './postgres-errors.ts'
import { StorePool } from './postgres-pool.ts'

const databaseUrl = await requirePostgres()
const database = databaseUrl === undefined ? undefined : new TestDatabase(databaseUrl)
after(() => database?.close())
const skip = database === undefined ? 'PostgreSQL not reachable' : false

function testDatabase(): TestDatabase {
  if (database === undefined) throw new Error('unreachable: the suite is skipped without PostgreSQL')
  return database
}

function isUnavailable(error: unknown): boolean {
  assert.ok(error instanceof PostgresUnavailableError, `a PostgresUnavailableError, not ${String(error)}`)
  assert.equal(error.message, 'the database is unavailable')
  return true
}

interface FaultStore {
  readonly store: Store
  readonly schema: string
  /** Unique `application_name` of this store's connections, so the test can find (and kill) only them. */
  readonly applicationName: string
}

/** A store in a fresh schema whose connections carry a unique application name (the URL's wins over ours). */
async function withFaultStore(
  options: Omit<PostgresStoreOptions, 'url' | 'schema'>,
  work: (fault: FaultStore) => Promise<void>,
): Promise<void> {
  const db = testDatabase()
  const schema = freshSchemaName()
  const applicationName = `tessera_${schema}`
  const url = new URL(db.url)
  url.searchParams.set('application_name', applicationName)
  const store = await openPostgresStore({ ...options, url: url.href, schema })
  try {
    await work({ store, schema, applicationName })
  } finally {
    await store.close()
    await db.dropSchema(schema)
  }
}

/** Polls the server until one of `applicationName`'s connections waits on a lock (an event, not a delay). */
async function waitUntilBlocked(applicationName: string): Promise<void> {
  const deadlineMs = Date.now() + 10_000
  for (;;) {
    const blocked = await testDatabase().admin.query(
      `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
      [applicationName],
    )
    if (blocked.rows.length > 0) return
    assert.ok(Date.now() < deadlineMs, 'the store statement started waiting for the lock')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function terminateConnections(applicationName: string): Promise<number> {
  const killed = await testDatabase().admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
    [applicationName],
  )
  return killed.rowCount ?? 0
}

/** Holds the row lock of session `id` in an open transaction until the returned function rolls it back. */
async function lockSession(schema: string, id: string): Promise<() => Promise<void>> {
  const holder: PoolClient = await testDatabase().admin.connect()
  try {
    await holder.query('begin')
    await holder.query(`select 1 from "${schema}".sessions where id = $1 for update`, [id])
  } catch (error) {
    holder.release(true)
    throw error
  }
  return async () => {
    try {
      await holder.query('rollback')
    } finally {
      holder.release()
    }
  }
}

describe('postgres store under faults', { skip }, () => {
  test('a refused connection is unavailable', async () => {
    const pool = new StorePool({
      url: 'postgres://postgres@127.0.0.1:1/test',
      schema: undefined,
      maxConnections: 1,
      connectionTimeoutMs: 1000,
      statementTimeoutMs: 1000,
    })
    try {
      await assert.rejects(pool.connect(), isUnavailable)
    } finally {
      await pool.end()
    }
  })

  test('the pool answers with StorePool settings: name, timeouts, search_path', async () => {
    const db = testDatabase()
    const schema = freshSchemaName()
    await db.createSchema(schema)
    const pool = new StorePool({
      url: db.url,
      schema,
      maxConnections: 1,
      connectionTimeoutMs: 1000,
      statementTimeoutMs: 1234,
    })
    try {
      const client = await pool.connect()
      try {
        const show = async (setting: string): Promise<unknown> =>
          (await client.query<Record<string, unknown>>(`select current_setting('${setting}') as value`, []))
            .rows[0]?.value
        assert.equal(await show('application_name'), 'tessera')
        assert.equal(await show('statement_timeout'), '1234ms')
        assert.equal(await show('idle_in_transaction_session_timeout'), '1min')
        assert.equal(await show('search_path'), schema)
        const big = await client.query<Record<string, unknown>>('select 9007199254740991::bigint as n', [])
        assert.equal(big.rows[0]?.n, Number.MAX_SAFE_INTEGER)
      } finally {
        client.release()
      }
    } finally {
      await pool.end()
      await db.dropSchema(schema)
    }
  })

  test('a statement stuck behind a row lock past the statement timeout is unavailable, then recovers', () =>
    withFaultStore({ statementTimeoutMs: 300 }, async ({ store, schema }) => {
      await startSession(store, 's1')
      const unlock = await lockSession(schema, 's1')
      try {
        await assert.rejects(
          store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1')),
          (error: unknown) => {
            isUnavailable(error)
            assert.equal(postgresSqlState((error as Error).cause), '57014')
            return true
          },
        )
      } finally {
        await unlock()
      }
      assert.equal((await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
    }))

  test('an exhausted pool answers unavailable after the connection timeout', () =>
    withFaultStore({ poolSize: 1, connectionTimeoutMs: 200 }, async ({ store, schema, applicationName }) => {
      await startSession(store, 's1')
      const unlock = await lockSession(schema, 's1')
      const rotating = store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))
      try {
        await waitUntilBlocked(applicationName)
        await assert.rejects(store.users.findById('user-owner'), isUnavailable)
      } finally {
        await unlock()
      }
      assert.equal((await rotating).kind, 'rotated')
      assert.equal((await store.users.findById('user-owner'))?.id, 'user-owner')
    }))

  test('the server killing a connection mid-transaction is unavailable; nothing commits; the store recovers', () =>
    withFaultStore({}, async ({ store, schema, applicationName }) => {
      await startSession(store, 's1')
      const unlock = await lockSession(schema, 's1')
      try {
        // Settled into a value at once: the kill can reject the rotation before terminateConnections has
        // returned, and a rejection with no handler yet would fail the test as unhandled.
        const rotating = store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1')).then(
          (outcome) => ({ committed: outcome.kind }),
          (error: unknown) => error,
        )
        await waitUntilBlocked(applicationName)
        assert.ok((await terminateConnections(applicationName)) >= 1)
        assert.ok(isUnavailable(await rotating))
      } finally {
        await unlock()
      }
      // The killed rotation committed nothing: the token is still active and rotates now. The kill also
      // takes the pool's idle connections; one of them may be handed out before its socket's error has
      // arrived, which is `unavailable` once (as in the idle-connection case below), never a commit.
      const deadlineMs = Date.now() + 5000
      for (;;) {
        try {
          const outcome = await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))
          assert.equal(outcome.kind, 'rotated')
          break
        } catch (error) {
          isUnavailable(error)
          assert.ok(Date.now() < deadlineMs, 'the store recovered within 5 s')
        }
      }
    }))

  test('idle connections killed by the server: calls fail as unavailable at worst, then succeed', () =>
    withFaultStore({ poolSize: 3 }, async ({ store, applicationName }) => {
      await Promise.all([store.ping(), store.ping(), store.ping()])
      assert.ok((await terminateConnections(applicationName)) >= 1)
      const deadlineMs = Date.now() + 5000
      for (;;) {
        try {
          await store.ping()
          break
        } catch (error) {
          isUnavailable(error)
          assert.ok(Date.now() < deadlineMs, 'the store recovered within 5 s')
        }
      }
      assert.equal((await store.users.list({ limit: 1 })).length, 0)
    }))
})
