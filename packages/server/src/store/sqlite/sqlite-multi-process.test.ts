// Several OS processes on one SQLite file, as when two `tessera serve` instances (or the server and the
// CLI) start together. Each child waits for a shared start instant so their critical sections overlap.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { rotation, startSession, T0 } from '../conformance/conformance-fixtures.ts'
import { openSqliteStore } from './open-sqlite-store.ts'

const repositoryRoot = fileURLToPath(new URL('../../../../../', import.meta.url))
const openStoreModule = new URL('./open-sqlite-store.ts', import.meta.url).href
const fixturesModule = new URL('../conformance/conformance-fixtures.ts', import.meta.url).href
const root = mkdtempSync(join(tmpdir(), 'tessera-sqlite-processes-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** Time for every child to boot (tsx compiles on the fly) before they all start at once. */
const START_DELAY_MS = 2500

/** Runs `body` (ES module code with `openSqliteStore`, `fixtures`, `file` in scope) in `count` processes. */
async function runChildren(count: number, file: string, body: string): Promise<string[]> {
  const startAtMs = Date.now() + START_DELAY_MS
  const code = `
    import { openSqliteStore } from ${JSON.stringify(openStoreModule)}
    import * as fixtures from ${JSON.stringify(fixturesModule)}
    const file = ${JSON.stringify(file)}
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ${startAtMs} - Date.now())))
    ${body}
  `
  const runs = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    return new Promise<string>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (exitCode) => {
        if (exitCode === 0) resolve(stdout.trim())
        else reject(new Error(`child exited with ${exitCode}: ${stderr}`))
      })
    })
  })
  return await Promise.all(runs)
}

describe('sqlite store across processes', () => {
  test('processes opening a new database at once apply the migration exactly once', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'data', 'tessera.db')
    const outputs = await runChildren(
      4,
      file,
      `const store = await openSqliteStore({ file })
       await store.ping()
       await store.close()
       console.log('ok')`,
    )
    assert.deepEqual(outputs, ['ok', 'ok', 'ok', 'ok'])
    const raw = new BetterSqlite3(file, { readonly: true })
    try {
      const applied = raw.prepare('select name from tessera_migration').all()
      assert.deepEqual(applied, [
        { name: '0001-initial' },
        { name: '0002-service-clients' },
        { name: '0003-oidc-identities' },
        { name: '0004-session-dpop-binding' },
        { name: '0005-security-events' },
      ])
    } finally {
      raw.close()
    }
  })

  test('processes racing one refresh token: exactly one rotates, the rest get its successor', async () => {
    const file = join(mkdtempSync(join(root, 'db-')), 'tessera.db')
    const store = await openSqliteStore({ file })
    await startSession(store, 's1')
    await store.close()
    const outputs = await runChildren(
      3,
      file,
      `const store = await openSqliteStore({ file })
       const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.sessions.rotateRefreshToken({
         ...fixtures.rotation('s1-t0', 's1-t1-' + process.pid + '-' + i),
         successor: { id: 's1-t1-' + process.pid + '-' + i, tokenHash: fixtures.tokenHash('s1-t1') },
       })))
       await store.close()
       console.log(JSON.stringify(outcomes.map((o) => [o.kind, o.successor?.id])))`,
    )
    const outcomes = outputs.flatMap((output) => JSON.parse(output) as [string, string][])
    assert.equal(outcomes.length, 30)
    assert.equal(outcomes.filter(([kind]) => kind === 'rotated').length, 1)
    assert.equal(outcomes.filter(([kind]) => kind === 'grace').length, 29)
    assert.equal(new Set(outcomes.map(([, successorId]) => successorId)).size, 1)
    const reopened = await openSqliteStore({ file })
    try {
      const next = await reopened.sessions.rotateRefreshToken(rotation('s1-t1', 's1-t2', { now: T0 + 61 }))
      assert.equal(next.kind, 'rotated')
    } finally {
      await reopened.close()
    }
  })
})
