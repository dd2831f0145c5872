// The PostgreSQL store against the one conformance suite, then the contracts only several pools on one
// database can show: races between instances, migrations under the advisory lock, exact bigint reads.
// Every store lives in a fresh schema of the test database, dropped when it closes.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { Kysely } from 'kysely'
import { freshSchemaName, TestDatabase } from '../../../../../test/support/postgres-schemas.ts'
import { requirePostgres } from '../../../../../test/support/services.ts'
import {
  newUser,
  rotation,
  signingKey,
  startSession,
  T0,
  tokenHash,
} from '../conformance/conformance-fixtures.ts'
import type { Database } from '../database-schema.ts'
import { migrateToLatest } from '../migrate.ts'
import type { RotateOutcome, Store } from '../ports.ts'
import { describeStoreConformance, type RawColumnChange } from '../store-conformance.ts'
import { StoreOpenError, StoreRowInvalidError } from '../store-errors.ts'
import { createMigrationDialect } from './migration-dialect.ts'
import { openPostgresStore } from './open-postgres-store.ts'
import { StorePool } from './postgres-pool.ts'

const databaseUrl = await requirePostgres()
const database = databaseUrl === undefined ? undefined : new TestDatabase(databaseUrl)
after(() => database?.close())
const skip = database === undefined ? 'PostgreSQL not reachable' : false

function testDatabase(): TestDatabase {
  if (database === undefined) throw new Error('unreachable: the suite is skipped without PostgreSQL')
  return database
}

async function writeRawColumn(store: Store, change: RawColumnChange): Promise<void> {
  const db = testDatabase()
  // Identifiers come from the suite's closed union of tables and its own column names, never from input.
  const table = `"${db.schemaOf(store)}"."${change.table}"`
  // PostgreSQL cannot switch CHECK constraints off; this schema is thrown away, so drop them.
  const checks = await db.admin.query<{ conname: string }>(
    `select conname from pg_constraint where contype = 'c' and conrelid = $1::regclass`,
    [table],
  )
  for (const { conname } of checks.rows)
    await db.admin.query(`alter table ${table} drop constraint "${conname}"`)
  // A typed column cannot hold a value of another type at all; widen it to text to plant one.
  const { value } = change
  if (typeof value === 'string' || (typeof value === 'number' && !Number.isSafeInteger(value))) {
    await db.admin.query(`alter table ${table} alter column "${change.column}" type text`)
  }
  const result = await db.admin.query(
    `update ${table} set "${change.column}" = $1 where "${change.keyColumn}" = $2`,
    [value === null ? null : String(value), change.keyValue],
  )
  assert.equal(result.rowCount, 1)
}

if (database !== undefined) {
  describeStoreConformance('postgres', () => testDatabase().openStore(), { writeRawColumn })
}

function kinds(outcomes: readonly RotateOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const outcome of outcomes) counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1
  return counts
}

/** Two stores (two pools, as two instances would have) on one fresh schema; the schema is dropped after. */
async function withTwoInstances(work: (a: Store, b: Store) => Promise<void>): Promise<void> {
  const db = testDatabase()
  const schema = freshSchemaName()
  const a = await db.openStore({ schema })
  const b = await db.openStore({ schema })
  try {
    await work(a, b)
  } finally {
    await a.close()
    await b.close()
    await db.dropSchema(schema)
  }
}

describe('postgres store across instances', { skip }, () => {
  test('50 concurrent rotations of one token across two pools: exactly one rotates', () =>
    withTwoInstances(async (a, b) => {
      await startSession(a, 's1')
      const race = (store: Store, side: string): Promise<RotateOutcome>[] =>
        Array.from({ length: 25 }, (_, i) =>
          store.sessions.rotateRefreshToken({
            ...rotation('s1-t0', `s1-t1-${side}${i}`),
            successor: { id: `s1-t1-${side}${i}`, tokenHash: tokenHash(`s1-t1-${side}${i}`) },
          }),
        )
      const outcomes = await Promise.all([...race(a, 'a'), ...race(b, 'b')])
      assert.deepEqual(kinds(outcomes), { rotated: 1, grace: 49 })
      const successorIds = new Set(
        outcomes.map((o) => (o.kind === 'rotated' || o.kind === 'grace' ? o.successor.id : '')),
      )
      assert.equal(successorIds.size, 1)
      const session = await b.sessions.findById('s1')
      assert.equal(session?.state, 'active', 'a race of the rightful holder is not theft')
    }))

  test('two pools racing one email: exactly one creates it', () =>
    withTwoInstances(async (a, b) => {
      const outcomes = await Promise.all(
        [a, b, a, b, a, b].map((store, i) =>
          store.users.create(newUser(`racer${i}`, { email: 'same@example.test' })),
        ),
      )
      assert.equal(outcomes.filter((outcome) => outcome.ok).length, 1)
      assert.deepEqual(
        outcomes.filter((outcome) => !outcome.ok).map((outcome) => !outcome.ok && outcome.reason),
        Array(5).fill('email_taken'),
      )
    }))

  test('two pools racing one key promotion: exactly one promotes', () =>
    withTwoInstances(async (a, b) => {
      assert.equal(await a.signingKeys.insert(signingKey('k1', 'current')), true)
      assert.equal(await b.signingKeys.insert(signingKey('k2', 'next')), true)
      const change = { nextKid: 'k2', currentKid: 'k1', now: T0 + 60, retiredPublishUntil: T0 + 3600 }
      const results = await Promise.all(
        [a, b, a, b, a, b, a, b].map((store) => store.signingKeys.promote(change)),
      )
      assert.equal(results.filter(Boolean).length, 1)
      const states = (await a.signingKeys.listAll()).map((key) => [key.kid, key.state])
      assert.deepEqual(states, [
        ['k1', 'retired'],
        ['k2', 'current'],
      ])
    }))

  test('two pools inserting a next key at once: the partial unique index admits one', () =>
    withTwoInstances(async (a, b) => {
      const results = await Promise.all(
        ['n1', 'n2', 'n3', 'n4'].map((kid, i) =>
          (i % 2 === 0 ? a : b).signingKeys.insert(signingKey(kid, 'next')),
        ),
      )
      assert.equal(results.filter(Boolean).length, 1)
    }))
})

describe('postgres migrations', { skip }, () => {
  test('stores opening a new schema at once apply each migration exactly once', async () => {
    const db = testDatabase()
    const schema = freshSchemaName()
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => db.openStore({ schema })))
      await Promise.all(stores.map((store) => store.close()))
      const applied = await db.admin.query(`select name from "${schema}".tessera_migration order by name`)
      assert.deepEqual(
        applied.rows.map((row: { name: string }) => row.name),
        [
          '0001-initial',
          '0002-service-clients',
          '0003-oidc-identities',
          '0004-session-dpop-binding',
          '0005-security-events',
        ],
      )
    } finally {
      await db.dropSchema(schema)
    }
  })

  test('Kysely takes a real advisory lock: a held lock stops the migration until released', async () => {
    const db = testDatabase()
    const schema = freshSchemaName()
    // The key Kysely's PostgresAdapter passes to pg_advisory_lock (kysely 0.28, postgres-adapter.js).
    const kyselyLockKey = '3853314791062309107'
    const holder = await db.admin.connect()
    try {
      await holder.query('select pg_advisory_lock($1::bigint)', [kyselyLockKey])
      let isOpened = false
      const opening = db.openStore({ schema }).then((store) => {
        isOpened = true
        return store
      })
      // Wait for the event, not for time: a Tessera backend blocked on an advisory lock.
      const deadlineMs = Date.now() + 10_000
      for (;;) {
        const waiting = await db.admin.query(
          `select 1 from pg_stat_activity where application_name = 'tessera' and wait_event_type = 'Lock'
             and wait_event = 'advisory'`,
        )
        if (waiting.rows.length > 0) break
        assert.ok(Date.now() < deadlineMs, 'a migration started waiting for the advisory lock')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.equal(isOpened, false)
      await holder.query('select pg_advisory_unlock($1::bigint)', [kyselyLockKey])
      const store = await opening
      await store.ping()
      await store.close()
    } finally {
      holder.release()
      await db.dropSchema(schema)
    }
  })

  test('reopening keeps the data and applies nothing twice', async () => {
    const db = testDatabase()
    const schema = freshSchemaName()
    try {
      const first = await db.openStore({ schema })
      await startSession(first, 's1', { owner: 'ada' })
      await first.close()
      const second = await db.openStore({ schema })
      try {
        assert.equal((await second.users.findById('user-ada'))?.email, 'ada@example.test')
        assert.equal((await second.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
      } finally {
        await second.close()
      }
      const pool = new StorePool({
        url: db.url,
        schema,
        maxConnections: 1,
        connectionTimeoutMs: 2000,
        statementTimeoutMs: 0,
      })
      const kysely = new Kysely<Database>({ dialect: createMigrationDialect(pool) })
      try {
        assert.deepEqual(await migrateToLatest(kysely, { schema }), { applied: [] })
      } finally {
        await kysely.destroy()
      }
    } finally {
      await db.dropSchema(schema)
    }
  })

  test('schemas dropped by another session during startup do not fail the migration', async () => {
    // Kysely's stock introspector calls has_schema_privilege(name) on every schema and fails with 3F000
    // when one disappears mid-scan; ours reads the current schema only.
    const db = testDatabase()
    const bystanders = Array.from({ length: 150 }, () => freshSchemaName())
    for (const schema of bystanders) await db.createSchema(schema)
    const dropping = Promise.all(bystanders.map((schema) => db.dropSchema(schema)))
    const opened = await Promise.allSettled(Array.from({ length: 6 }, () => db.openStore()))
    await dropping
    for (const outcome of opened) if (outcome.status === 'fulfilled') await outcome.value.close()
    assert.deepEqual(
      opened.map((outcome) => outcome.status),
      Array(6).fill('fulfilled'),
    )
  })

  test('a migration table in another schema is not mistaken for this one', async () => {
    // Two stores in two schemas of one database: the second must still create its own tables.
    const db = testDatabase()
    const a = await db.openStore()
    const b = await db.openStore()
    try {
      await a.users.create(newUser('ada'))
      assert.equal(await b.users.findById('user-ada'), undefined)
      assert.equal((await b.users.create(newUser('ada'))).ok, true)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('postgres bigint instants', { skip }, () => {
  test('the largest exact instant round-trips; one beyond 2^53 is rejected on read', async () => {
    const db = testDatabase()
    const store = await db.openStore()
    try {
      await store.users.create(newUser('ada', { createdAt: Number.MAX_SAFE_INTEGER }))
      assert.equal((await store.users.findById('user-ada'))?.createdAt, Number.MAX_SAFE_INTEGER)
      const beyond = '9007199254740993' // 2^53 + 1: as a JavaScript number it would round to 2^53
      await db.admin.query(
        `update "${db.schemaOf(store)}".users set created_at = $1::bigint where id = 'user-ada'`,
        [beyond],
      )
      await assert.rejects(store.users.findById('user-ada'), (error: unknown) => {
        assert.ok(error instanceof StoreRowInvalidError)
        assert.equal(error.code, 'store_row_invalid')
        assert.ok(!error.message.includes(beyond), 'the value stays out of the message')
        return true
      })
      await db.admin.query(
        `update "${db.schemaOf(store)}".users set created_at = $1::bigint where id = 'user-ada'`,
        [`-${beyond}`],
      )
      await assert.rejects(store.users.list({ limit: 5 }), StoreRowInvalidError)
      // The failed reads left no connection broken.
      await store.ping()
    } finally {
      await store.close()
    }
  })
})

describe('postgres store options', { skip }, () => {
  test('an unreachable server fails the open with StoreOpenError naming no credentials', async () => {
    const url = 'postgres://tessera:hunter2-secret@127.0.0.1:1/tessera'
    await assert.rejects(openPostgresStore({ url, connectionTimeoutMs: 1000 }), (error: unknown) => {
      assert.ok(error instanceof StoreOpenError)
      assert.equal(error.message, 'could not open the database at postgres://127.0.0.1:1/tessera')
      return true
    })
  })

  test('a search_path naming no existing schema fails the open', async () => {
    const url = new URL(testDatabase().url)
    url.searchParams.set('options', `-c search_path=${freshSchemaName()}`)
    await assert.rejects(openPostgresStore({ url: url.href }), StoreOpenError)
  })

  test('rejects bad options before connecting, without echoing the URL', async () => {
    const secretUrl = 'mysql://root:hunter2-secret@db/x'
    await assert.rejects(openPostgresStore({ url: secretUrl }), (error: unknown) => {
      assert.ok(error instanceof RangeError)
      assert.ok(!error.message.includes('hunter2'))
      return true
    })
    const url = testDatabase().url
    await assert.rejects(openPostgresStore({ url, schema: 'Robert"; drop table users' }), RangeError)
    await assert.rejects(openPostgresStore({ url, poolSize: 0 }), RangeError)
    await assert.rejects(openPostgresStore({ url, statementTimeoutMs: 1.5 }), RangeError)
    const withOptions = new URL(url)
    withOptions.searchParams.set('options', '-c search_path=x')
    await assert.rejects(openPostgresStore({ url: withOptions.href, schema: 'y' }), RangeError)
  })
})
