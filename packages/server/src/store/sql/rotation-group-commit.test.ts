// Group commit of rotations (rotation-group-commit.ts) on a real SQLite file: what one event-loop turn's
// rotations share (one commit) and what they must not (one failing rotation's writes, or its error).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import { rotation, startSession, T0, tokenHash } from '../conformance/conformance-fixtures.ts'
import type { Database } from '../database-schema.ts'
import { migrateToLatest } from '../migrate.ts'
import type { RotateOutcome } from '../ports.ts'
import { openSqliteStore } from '../sqlite/open-sqlite-store.ts'
import { sqliteDialectTraits } from '../sqlite/sqlite-dialect-traits.ts'
import { createWriteLockDialect } from '../sqlite/write-lock-dialect.ts'
import { StoreBusyError } from '../store-errors.ts'
import { SqlStore } from './sql-store.ts'

const root = mkdtempSync(join(tmpdir(), 'tessera-group-commit-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** A SQLite store with group commit whose commits are counted. */
async function openCountingStore(
  options: { readonly busyTimeoutMs?: number } = {},
): Promise<{ store: SqlStore; file: string; commits: () => number }> {
  const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
  const database = new BetterSqlite3(file)
  database.pragma('journal_mode = WAL')
  database.pragma('foreign_keys = ON')
  let commits = 0
  const dialect = createWriteLockDialect(database, {
    busyTimeoutMs: options.busyTimeoutMs ?? 1000,
    onCommit: () => {
      commits += 1
    },
  })
  const db = new Kysely<Database>({ dialect })
  await migrateToLatest(db)
  const store = new SqlStore({ kind: 'sqlite', db, traits: sqliteDialectTraits, groupCommitRotations: true })
  return { store, file, commits: () => commits }
}

function successorIdOf(outcome: RotateOutcome): string | undefined {
  return outcome.kind === 'rotated' || outcome.kind === 'grace' ? outcome.successor.id : undefined
}

describe('rotation group commit', () => {
  test('rotations of different sessions asked for in one turn are committed together', async () => {
    const { store, commits } = await openCountingStore()
    try {
      for (const id of ['s1', 's2', 's3', 's4']) await startSession(store, id, { owner: id })
      const before = commits()
      const outcomes = await Promise.all(
        ['s1', 's2', 's3', 's4'].map((id) =>
          store.sessions.rotateRefreshToken(rotation(`${id}-t0`, `${id}-t1`)),
        ),
      )
      assert.deepEqual(
        outcomes.map((outcome) => [outcome.kind, successorIdOf(outcome)]),
        [
          ['rotated', 's1-t1'],
          ['rotated', 's2-t1'],
          ['rotated', 's3-t1'],
          ['rotated', 's4-t1'],
        ],
      )
      assert.equal(commits() - before, 1, 'one commit for the whole turn')
      for (const id of ['s1', 's2', 's3', 's4']) {
        assert.equal((await store.sessions.findRefreshToken(tokenHash(`${id}-t0`)))?.state, 'rotated')
        assert.equal((await store.sessions.findRefreshToken(tokenHash(`${id}-t1`)))?.state, 'active')
      }
    } finally {
      await store.close()
    }
  })

  test('one token several times in one turn: the first rotates, the rest get its successor', async () => {
    const { store, commits } = await openCountingStore()
    try {
      await startSession(store, 's1')
      const before = commits()
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.sessions.rotateRefreshToken({
            ...rotation('s1-t0', `s1-t1-${i}`),
            successor: { id: `s1-t1-${i}`, tokenHash: tokenHash('s1-t1') },
          }),
        ),
      )
      assert.deepEqual(
        outcomes.map((outcome) => [outcome.kind, successorIdOf(outcome)]),
        [['rotated', 's1-t1-0'], ...Array.from({ length: 4 }, () => ['grace', 's1-t1-0'])],
      )
      assert.equal(commits() - before, 1)
    } finally {
      await store.close()
    }
  })

  test('a rotation failing midway rolls back its own writes; the others of its turn commit', async () => {
    const { store, commits } = await openCountingStore()
    try {
      for (const id of ['s1', 's2', 's3']) await startSession(store, id, { owner: id })
      const before = commits()
      // s2's successor reuses the hash s1's successor inserts first in the same transaction: s2 marks its
      // token rotated and records the use, then its insert breaks the unique index.
      const settled = await Promise.allSettled([
        store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1')),
        store.sessions.rotateRefreshToken({
          ...rotation('s2-t0', 's2-t1', { now: T0 + 99 }),
          successor: { id: 's2-t1', tokenHash: tokenHash('s1-t1') },
        }),
        store.sessions.rotateRefreshToken(rotation('s3-t0', 's3-t1')),
      ])
      assert.deepEqual(
        settled.map((result) => (result.status === 'fulfilled' ? result.value.kind : 'rejected')),
        ['rotated', 'rejected', 'rotated'],
      )
      const failure = settled[1]
      assert.ok(failure?.status === 'rejected')
      assert.ok(sqliteDialectTraits.isUniqueViolation(failure.reason), 'the rotation’s own error')
      assert.equal(commits() - before, 1)
      assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t1')))?.sessionId, 's1')
      assert.equal((await store.sessions.findRefreshToken(tokenHash('s3-t1')))?.sessionId, 's3')
      // Nothing of s2's attempt survived: its token is still the live one and its session untouched.
      assert.equal((await store.sessions.findRefreshToken(tokenHash('s2-t0')))?.state, 'active')
      assert.equal((await store.sessions.findById('s2'))?.lastUsedAt, T0)
      const retried = await store.sessions.rotateRefreshToken(rotation('s2-t0', 's2-t1'))
      assert.equal(retried.kind, 'rotated')
    } finally {
      await store.close()
    }
  })

  test('when the batch cannot begin, every rotation of it fails and none is written', async () => {
    const { store, file } = await openCountingStore({ busyTimeoutMs: 30 })
    const raw = new BetterSqlite3(file)
    try {
      for (const id of ['s1', 's2']) await startSession(store, id, { owner: id })
      raw.exec('begin immediate')
      const settled = await Promise.allSettled(
        ['s1', 's2'].map((id) => store.sessions.rotateRefreshToken(rotation(`${id}-t0`, `${id}-t1`))),
      )
      for (const result of settled) {
        assert.ok(result.status === 'rejected' && result.reason instanceof StoreBusyError)
      }
      raw.exec('rollback')
      assert.equal((await store.sessions.findRefreshToken(tokenHash('s1-t0')))?.state, 'active')
      assert.equal((await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))).kind, 'rotated')
    } finally {
      raw.close()
      await store.close()
    }
  })

  test('close answers the rotations already asked for before it closes the connection', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const store = await openSqliteStore({ file })
    await startSession(store, 's1')
    const pending = store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1'))
    await store.close()
    assert.equal((await pending).kind, 'rotated')
    const reopened = await openSqliteStore({ file })
    try {
      assert.equal((await reopened.sessions.findRefreshToken(tokenHash('s1-t1')))?.state, 'active')
    } finally {
      await reopened.close()
    }
  })
})
