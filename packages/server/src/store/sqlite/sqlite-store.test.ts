import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import { rotation, startSession, T0, tokenHash } from '../conformance/conformance-fixtures.ts'
import type { Database } from '../database-schema.ts'
import { migrateToLatest } from '../migrate.ts'
import type { RotateOutcome, Store } from '../ports.ts'
import { describeStoreConformance, type RawColumnChange } from '../store-conformance.ts'
import { StoreBusyError, StoreOpenError } from '../store-errors.ts'
import { openSqliteStore } from './open-sqlite-store.ts'
import { createWriteLockDialect } from './write-lock-dialect.ts'

const root = mkdtempSync(join(tmpdir(), 'tessera-sqlite-store-'))
after(() => rmSync(root, { recursive: true, force: true }))

const files = new WeakMap<Store, string>()

function freshFile(): string {
  return join(mkdtempSync(join(root, 'db-')), 'data', 'tessera.db')
}

async function openFresh(): Promise<Store> {
  const file = freshFile()
  const store = await openSqliteStore({ file })
  files.set(store, file)
  return store
}

async function writeRawColumn(store: Store, change: RawColumnChange): Promise<void> {
  const file = files.get(store)
  if (file === undefined) throw new Error('store not opened by this test file')
  const raw = new BetterSqlite3(file)
  try {
    raw.pragma('ignore_check_constraints = ON')
    // Identifiers come from the suite's closed union of tables and its own column names, never from input.
    const statement = raw.prepare(
      `update "${change.table}" set "${change.column}" = ? where "${change.keyColumn}" = ?`,
    )
    assert.equal(statement.run(change.value, change.keyValue).changes, 1)
  } finally {
    raw.close()
  }
}

describeStoreConformance('sqlite', openFresh, { writeRawColumn })

function kinds(outcomes: readonly RotateOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const outcome of outcomes) counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1
  return counts
}

describe('sqlite store', () => {
  test('creates its directory 0700 and its file 0600', { skip: process.platform === 'win32' }, async () => {
    const file = freshFile()
    const store = await openSqliteStore({ file })
    try {
      assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700)
      assert.equal(statSync(file).mode & 0o777, 0o600)
      await store.users.create({
        id: 'u1',
        email: 'a@example.test',
        name: null,
        passwordHash: null,
        createdAt: T0,
      })
      assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600)
    } finally {
      await store.close()
    }
  })

  test('runs in WAL mode with foreign keys enforced', async () => {
    const store = await openFresh()
    try {
      await store.ping()
      const file = files.get(store) ?? ''
      assert.equal(existsSync(`${file}-wal`), true)
      const raw = new BetterSqlite3(file, { readonly: true })
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
      } finally {
        raw.close()
      }
      await assert.rejects(
        store.sessions.start(
          {
            id: 's1',
            userId: 'nobody',
            clientId: 'web',
            createdAt: T0,
            expiresAt: T0 + 60,
            ip: null,
            userAgent: null,
          },
          { id: 't1', tokenHash: tokenHash('t1'), expiresAt: T0 + 60 },
        ),
      )
    } finally {
      await store.close()
    }
  })

  test('reopening keeps the data and applies no migration twice', async () => {
    const file = freshFile()
    const first = await openSqliteStore({ file })
    await startSession(first, 's1', { owner: 'ada' })
    await first.close()
    const second = await openSqliteStore({ file })
    try {
      assert.equal((await second.users.findById('user-ada'))?.email, 'ada@example.test')
      assert.equal((await second.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
    } finally {
      await second.close()
    }
    const db = new Kysely<Database>({
      dialect: createWriteLockDialect(new BetterSqlite3(file), { busyTimeoutMs: 1000 }),
    })
    try {
      assert.deepEqual(await migrateToLatest(db), { applied: [] })
    } finally {
      await db.destroy()
    }
  })

  test('a new database applies every migration in order', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const db = new Kysely<Database>({
      dialect: createWriteLockDialect(new BetterSqlite3(file), { busyTimeoutMs: 1000 }),
    })
    try {
      assert.deepEqual(await migrateToLatest(db), {
        applied: [
          '0001-initial',
          '0002-service-clients',
          '0003-oidc-identities',
          '0004-session-dpop-binding',
          '0005-security-events',
        ],
      })
      assert.deepEqual(await migrateToLatest(db), { applied: [] })
    } finally {
      await db.destroy()
    }
  })

  test('two stores on one file racing one refresh token: exactly one rotates', async () => {
    const file = freshFile()
    const a = await openSqliteStore({ file })
    const b = await openSqliteStore({ file })
    try {
      await startSession(a, 's1')
      const race = (store: Store, side: string): Promise<RotateOutcome>[] =>
        Array.from({ length: 25 }, (_, i) =>
          store.sessions.rotateRefreshToken({
            ...rotation('s1-t0', `s1-t1-${side}${i}`),
            successor: { id: `s1-t1-${side}${i}`, tokenHash: tokenHash('s1-t1') },
          }),
        )
      const outcomes = await Promise.all([...race(a, 'a'), ...race(b, 'b')])
      assert.deepEqual(kinds(outcomes), { rotated: 1, grace: 49 })
      const successorIds = new Set(
        outcomes.map((o) => (o.kind === 'rotated' || o.kind === 'grace' ? o.successor.id : '')),
      )
      assert.equal(successorIds.size, 1)
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('two stores on one file racing one email: exactly one creates it', async () => {
    const file = freshFile()
    const a = await openSqliteStore({ file })
    const b = await openSqliteStore({ file })
    try {
      const outcomes = await Promise.all(
        [a, b, a, b].map((store, i) =>
          store.users.create({
            id: `u${i}`,
            email: 'same@example.test',
            name: null,
            passwordHash: null,
            createdAt: T0,
          }),
        ),
      )
      assert.equal(outcomes.filter((outcome) => outcome.ok).length, 1)
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('a writer waits for another connection’s write lock without blocking the event loop', async () => {
    const store = await openFresh()
    const raw = new BetterSqlite3(files.get(store) ?? '')
    try {
      raw.exec('begin immediate')
      let isCreated = false
      const creating = store.users
        .create({ id: 'u1', email: 'a@example.test', name: null, passwordHash: null, createdAt: T0 })
        .then((outcome) => {
          isCreated = true
          return outcome
        })
      // A writer stuck in SQLite's own busy handler would hold the thread for the whole 5 s busy timeout,
      // and this 30 ms timer would fire seconds late.
      const startedMs = performance.now()
      await new Promise((resolve) => setTimeout(resolve, 30))
      assert.ok(performance.now() - startedMs < 2000, 'the event loop stayed free while the writer waited')
      assert.equal(isCreated, false)
      raw.exec('commit')
      assert.equal((await creating).ok, true)
    } finally {
      raw.close()
      await store.close()
    }
  })

  test('a writer gives up with StoreBusyError after busyTimeoutMs', async () => {
    const file = freshFile()
    const store = await openSqliteStore({ file, busyTimeoutMs: 40 })
    const raw = new BetterSqlite3(file)
    try {
      raw.exec('begin immediate')
      await assert.rejects(store.users.setDisabled('u1', true, T0), StoreBusyError)
      raw.exec('rollback')
      assert.equal(await store.users.setDisabled('u1', true, T0), false)
    } finally {
      raw.close()
      await store.close()
    }
  })

  test('a file that is not a database fails with StoreOpenError naming the file only', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    writeFileSync(file, 'this is not a database, just a long enough line of text to fill a header')
    await assert.rejects(openSqliteStore({ file }), (error: unknown) => {
      assert.ok(error instanceof StoreOpenError)
      assert.equal(error.message, `could not open the database at ${file}`)
      return true
    })
  })

  test('rejects a busy timeout that is not a non-negative integer', async () => {
    await assert.rejects(openSqliteStore({ file: freshFile(), busyTimeoutMs: -1 }), RangeError)
    await assert.rejects(openSqliteStore({ file: freshFile(), busyTimeoutMs: 1.5 }), RangeError)
  })
})
