// The WAL checkpoint thread (wal-checkpointer.ts) against real SQLite files. The worker runs on its own
// thread, so some tests wait for what it did to show in the files; `eventually` bounds that wait.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import BetterSqlite3 from 'better-sqlite3'
import { rotation, startSession, tokenHash } from '../conformance/conformance-fixtures.ts'
import type { RotateOutcome } from '../ports.ts'
import { openSqliteStore } from './open-sqlite-store.ts'
import { WalCheckpointer } from './wal-checkpointer.ts'

const root = mkdtempSync(join(tmpdir(), 'tessera-wal-checkpointer-'))
after(() => rmSync(root, { recursive: true, force: true }))

const PAGE_BYTES = 4096

function openWal(): { database: BetterSqlite3.Database; file: string } {
  const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
  const database = new BetterSqlite3(file)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = NORMAL')
  database.exec('create table pages (id integer primary key, body blob not null)')
  return { database, file }
}

/** Waits until `condition` holds, checking every 10 ms; fails with `what` after 20 s. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (const startedMs = performance.now(); !condition(); ) {
    if (performance.now() - startedMs > 20_000) assert.fail(`never happened: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function autocheckpointOf(database: BetterSqlite3.Database): unknown {
  return database.pragma('wal_autocheckpoint', { simple: true })
}

describe('WalCheckpointer', () => {
  test('starts after startAfterCommits; then the worker, not the serving one, checkpoints', async () => {
    const { database, file } = openWal()
    const checkpointer = new WalCheckpointer(database, { file, busyTimeoutMs: 1000, startAfterCommits: 3 })
    try {
      checkpointer.noteCommit()
      checkpointer.noteCommit()
      assert.equal(await checkpointer.ready(), false, 'not started before its third commit')
      assert.equal(autocheckpointOf(database), 1000)
      checkpointer.noteCommit()
      assert.equal(await checkpointer.ready(), true)
      assert.equal(autocheckpointOf(database), 0, 'the serving connection no longer checkpoints')
      // In WAL mode only a checkpoint writes the database file, so its growth is the worker's doing.
      const sizeBefore = statSync(file).size
      const insert = database.prepare('insert into pages (body) values (?)')
      for (let row = 0; row < 200; row++) insert.run(Buffer.alloc(PAGE_BYTES, row))
      await eventually(
        () => statSync(file).size >= sizeBefore + 200 * PAGE_BYTES,
        'the worker copied the WAL into the database file',
      )
    } finally {
      await checkpointer.stop()
      database.close()
    }
  })

  test('keeps the WAL bounded while the store keeps writing (it is rewound, not grown)', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const store = await openSqliteStore({
      file,
      walCheckpointer: { startAfterCommits: 1, intervalMs: 2, rewindAtFrames: 64 },
    })
    try {
      await startSession(store, 's1')
      // One rotation at a time: each is its own commit of about six pages (table and three indexes),
      // 2,000 of them some 12,000 frames, 48 MiB, were the WAL never rewound.
      let presented = 's1-t0'
      for (let step = 1; step <= 2000; step++) {
        const next = `s1-t${step}`
        assert.equal((await store.sessions.rotateRefreshToken(rotation(presented, next))).kind, 'rotated')
        presented = next
      }
      // A WAL file only grows until it is rewound: its size is the most it ever held. Never rewound, it
      // would be about 48 MiB; half of that proves rewinding without timing how fast the worker keeps up
      // (on a quiet machine it stays near 4 MiB; under a loaded CI run it was once 10.9 MB).
      const walBytes = statSync(`${file}-wal`).size
      assert.ok(walBytes < 24 * 1024 * 1024, `WAL of ${walBytes} bytes`)
    } finally {
      await store.close()
    }
  })

  test('two busy stores on one file, each with a checkpoint thread: no lost write, one winner', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const tuning = { startAfterCommits: 1, intervalMs: 2, rewindAtFrames: 32 }
    const a = await openSqliteStore({ file, walCheckpointer: tuning })
    const b = await openSqliteStore({ file, walCheckpointer: tuning })
    try {
      await startSession(a, 'sa', { owner: 'a' })
      await startSession(b, 'sb', { owner: 'b' })
      await startSession(a, 'race', { owner: 'c' })
      const rotateChain = async (store: typeof a, id: string): Promise<string> => {
        let presented = `${id}-t0`
        for (let step = 1; step <= 300; step++) {
          const next = `${id}-t${step}`
          assert.equal((await store.sessions.rotateRefreshToken(rotation(presented, next))).kind, 'rotated')
          presented = next
        }
        return presented
      }
      const race = (store: typeof a, side: string): Promise<RotateOutcome>[] =>
        Array.from({ length: 10 }, (_, i) =>
          store.sessions.rotateRefreshToken({
            ...rotation('race-t0', `race-t1-${side}${i}`),
            successor: { id: `race-t1-${side}${i}`, tokenHash: tokenHash('race-t1') },
          }),
        )
      const [lastA, lastB, ...raced] = await Promise.all([
        rotateChain(a, 'sa'),
        rotateChain(b, 'sb'),
        ...race(a, 'a'),
        ...race(b, 'b'),
      ])
      assert.equal(raced.filter((outcome) => outcome.kind === 'rotated').length, 1)
      assert.equal(raced.filter((outcome) => outcome.kind === 'grace').length, 19)
      assert.equal((await b.sessions.findRefreshToken(tokenHash(lastA)))?.state, 'active')
      assert.equal((await a.sessions.findRefreshToken(tokenHash(lastB)))?.state, 'active')
    } finally {
      await a.close()
      await b.close()
    }
    const raw = new BetterSqlite3(file, { readonly: true })
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
      assert.deepEqual(raw.prepare('select count(*) as n from refresh_tokens').get(), { n: 3 + 600 + 1 })
    } finally {
      raw.close()
    }
  })

  test('a worker that cannot start leaves SQLite checkpointing as usual', async () => {
    const { database } = openWal()
    const missing = join(root, 'no-such-dir', 'tessera.db')
    const checkpointer = new WalCheckpointer(database, {
      file: missing,
      busyTimeoutMs: 1000,
      startAfterCommits: 1,
    })
    try {
      checkpointer.noteCommit()
      assert.equal(await checkpointer.ready(), false)
      assert.equal(autocheckpointOf(database), 1000)
      assert.equal(checkpointer.isActive, false)
    } finally {
      await checkpointer.stop()
      database.close()
    }
  })

  test('stop is idempotent, also before the worker was ready or started', async () => {
    const { database, file } = openWal()
    const never = new WalCheckpointer(database, { file, busyTimeoutMs: 1000 })
    await never.stop()
    const early = new WalCheckpointer(database, { file, busyTimeoutMs: 1000, startAfterCommits: 1 })
    early.noteCommit()
    await early.stop()
    await early.stop()
    assert.equal(await early.ready(), false)
    assert.equal(autocheckpointOf(database), 1000)
    database.close()
  })

  test('a busy store closes to a consistent file: worker stopped, the WAL checkpointed away', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const store = await openSqliteStore({ file, walCheckpointer: { startAfterCommits: 1, intervalMs: 5 } })
    await startSession(store, 's1')
    let presented = 's1-t0'
    for (let step = 1; step <= 200; step++) {
      const next = `s1-t${step}`
      const outcome = await store.sessions.rotateRefreshToken(rotation(presented, next))
      assert.equal(outcome.kind, 'rotated')
      presented = next
    }
    await store.close()
    // The last connection to close checkpoints and deletes the WAL: the worker's closed first.
    assert.equal(existsSync(`${file}-wal`), false)
    const raw = new BetterSqlite3(file, { readonly: true })
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
      const live = raw
        .prepare('select state from refresh_tokens where token_hash = ?')
        .get(tokenHash(presented))
      assert.deepEqual(live, { state: 'active' })
    } finally {
      raw.close()
    }
  })
})
