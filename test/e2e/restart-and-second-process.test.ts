import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { spawnListening, stopProcess } from '../support/spawn-listening.ts'
import { bearer, call, PASSWORD, signUp, startTestServer, uniqueEmail } from '../support/test-server.ts'

const REPO = new URL('../../', import.meta.url).pathname

/** Starts `tessera serve` as a separate OS process on the data dir; resolves with its URL. */
function spawnServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  return spawnListening([join(REPO, 'bin/tessera.mjs'), 'serve'], {
    ...process.env,
    TESSERA_DATA_DIR: dataDir,
    TESSERA_PORT: '0',
    TESSERA_ISSUER: 'http://localhost:8080',
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_THROTTLE_SIGNUP_PER_IP_LIMIT: '10000',
  })
}

test('restarting keeps users, sessions and keys; a second process on the same data dir corrupts nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-restart-'))
  try {
    const first = await startTestServer({ dataDir })
    const user = await signUp(first.url)
    const jwksBefore = (await call(first.url, '/.well-known/jwks.json')).body
    await first.close()

    const second = await startTestServer({ dataDir })
    try {
      const jwksAfter = (await call(second.url, '/.well-known/jwks.json')).body
      assert.deepEqual(jwksAfter, jwksBefore, 'the same key ring after restart')
      const me = await call(second.url, '/v1/me', { headers: bearer(user.accessToken) })
      assert.equal(me.status, 200, 'an access token from before the restart still verifies')
      const refreshed = await call(second.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
      assert.equal(refreshed.status, 200, 'the session survived the restart')
      const login = await call(second.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      assert.equal(login.status, 200, 'the user survived the restart')

      const other = await spawnServer(dataDir)
      try {
        const jwksOther = (await call(other.url, '/.well-known/jwks.json')).body
        assert.deepEqual(jwksOther, jwksAfter, 'the second process agrees on the key ring')
        // Interleave writes from both processes, including refreshes of one token on both.
        const work = []
        for (let i = 0; i < 8; i++) {
          const base = i % 2 === 0 ? second.url : other.url
          work.push(
            call(base, '/v1/signup', { body: { email: uniqueEmail(`proc${i}`), password: PASSWORD } }),
          )
        }
        const token = refreshed.body.refresh_token as string
        for (let i = 0; i < 10; i++) {
          work.push(
            call(i % 2 === 0 ? second.url : other.url, '/v1/refresh', { body: { refresh_token: token } }),
          )
        }
        const results = await Promise.all(work)
        assert.deepEqual(
          results.map((r) => r.status),
          [...Array(8).fill(201), ...Array(10).fill(200)],
        )
        const successors = new Set(results.slice(8).map((r) => r.body.refresh_token))
        assert.equal(successors.size, 1, 'one successor across two processes')
        const crossCheck = await call(other.url, '/v1/me', {
          headers: bearer(results[0]?.body.access_token as string),
        })
        assert.equal(crossCheck.status, 200, 'a token minted by one process verifies on the other')
      } finally {
        await stopProcess(other.child)
      }
    } finally {
      await second.close()
    }
    const db = new Database(join(dataDir, 'tessera.db'), { readonly: true })
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }])
      const users = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }
      assert.equal(users.n, 9)
    } finally {
      db.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
