// The real server on PostgreSQL (TESSERA_DATABASE_URL), over real HTTP: the refresh-token life cycle
// lands in PostgreSQL, and an outage of the database is a retryable 503, then heals without a restart.
// Each server gets its own role and schema in the test database, both dropped afterwards. The schema
// travels in the URL as libpq's `options=-c search_path=…`, the form psql and pg_dump understand too.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { TestDatabase, urlWithSearchPath } from '../support/postgres-schemas.ts'
import { requirePostgres } from '../support/services.ts'
import { bearer, call, PASSWORD, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

const databaseUrl = await requirePostgres()
const skip = databaseUrl === undefined ? 'PostgreSQL not reachable' : false

describe('the auth server on PostgreSQL', { skip }, () => {
  // A role of its own, owning a schema of its own: the outage test can lock out exactly this server.
  const role = `tessera_e2e_${randomBytes(6).toString('hex')}`
  let database: TestDatabase
  let t: TestServer

  before(async () => {
    database = new TestDatabase(databaseUrl ?? '')
    await database.admin.query(`create role "${role}" login`)
    await database.admin.query(`create schema "${role}" authorization "${role}"`)
    const url = new URL(database.url)
    url.username = role
    t = await startTestServer({ env: { TESSERA_DATABASE_URL: urlWithSearchPath(url.href, role) } })
  })

  after(async () => {
    await t?.close()
    await database.dropSchema(role)
    await database.admin.query(`drop role if exists "${role}"`)
    await database.close()
  })

  async function countRows(table: string, where = 'true'): Promise<number> {
    const result = await database.admin.query(
      `select count(*)::int as n from "${role}".${table} where ${where}`,
    )
    return (result.rows[0] as { n: number }).n
  }

  test('runs on PostgreSQL, not on a SQLite file', async () => {
    assert.equal(t.server.services.store.kind, 'postgres')
    assert.equal(t.server.services.databaseFile, undefined)
    const ready = await call(t.url, '/readyz')
    assert.equal(ready.status, 200)
    assert.equal(ready.body.store, 'postgres')
    assert.ok((await countRows('signing_keys')) >= 2, 'the key ring was created in PostgreSQL')
  })

  test('signup → login → refresh → grace → reuse → logout', async () => {
    const user = await signUp(t.url)
    assert.equal(await countRows('users', `id = '${user.userId}'`), 1)

    const login = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    assert.equal(login.status, 200)
    const loginToken = login.body.refresh_token as string

    const first = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(first.status, 200)
    t.clock.advance(5)
    const replay = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(replay.status, 200)
    assert.equal(replay.body.refresh_token, first.body.refresh_token, 'within grace: the same successor')

    t.clock.advance(6) // 11 s after the rotation: past the 10 s grace window
    const reused = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(reused.status, 401)
    assert.equal(reused.body.reason, 'refresh_token_reused')
    const newest = await call(t.url, '/v1/refresh', { body: { refresh_token: first.body.refresh_token } })
    assert.equal(newest.body.reason, 'session_revoked', 'reuse killed the whole family')
    const me = await call(t.url, '/v1/me', { headers: bearer(first.body.access_token as string) })
    assert.equal(me.body.reason, 'session_revoked')
    assert.equal(await countRows('sessions', `id = '${user.sessionId}' and state = 'revoked'`), 1)

    // The login session was a different family: untouched by the reuse, ended by its own logout.
    const stillAlive = await call(t.url, '/v1/refresh', { body: { refresh_token: loginToken } })
    assert.equal(stillAlive.status, 200)
    const logout = await call(t.url, '/v1/logout', {
      body: { refresh_token: stillAlive.body.refresh_token },
    })
    assert.equal(logout.status, 204)
    const afterLogout = await call(t.url, '/v1/refresh', {
      body: { refresh_token: stillAlive.body.refresh_token },
    })
    assert.equal(afterLogout.status, 401)
    assert.equal(afterLogout.body.reason, 'session_revoked')
    assert.equal(await countRows('sessions', `id = '${login.body.session_id}' and state = 'revoked'`), 1)
  })

  // The store raises PostgresUnavailableError (code `store_unavailable`, `retryAfterSeconds`), which
  // http/app.ts answers with 503 and Retry-After.
  test('PostgreSQL refusing this server: 503 with Retry-After, never 500; healed without a restart', async () => {
    const user = await signUp(t.url)
    // Lock the role out and cut its open connections: new ones fail with too_many_connections.
    await database.admin.query(`alter role "${role}" connection limit 0`)
    try {
      await database.admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where usename = $1',
        [role],
      )
      const ready = await call(t.url, '/readyz')
      assert.equal(ready.status, 503)
      const login = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      assert.equal(login.status, 503)
      assert.equal(login.headers.get('retry-after'), '5')
      const refresh = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
      assert.equal(refresh.status, 503)
    } finally {
      await database.admin.query(`alter role "${role}" connection limit -1`)
    }
    const healed = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(healed.status, 200, 'the same token still rotates: the outage committed nothing')
  })
})
