import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import {
  bearer,
  call,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

/** A digest of every row of every table: "the database unchanged" made checkable. */
function snapshot(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string
    }[]
    const hash = createHash('sha256')
    for (const { name } of tables) {
      hash.update(name)
      hash.update(JSON.stringify(db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()))
    }
    return hash.digest('hex')
  } finally {
    db.close()
  }
}

describe('bad input: a clear 4xx naming the field or reason, never a 500, nothing stored changes', () => {
  let t: TestServer
  let file: string
  let user: Awaited<ReturnType<typeof signUp>>
  before(async () => {
    t = await startTestServer()
    file = t.server.services.databaseFile as string
    user = await signUp(t.url)
  })
  after(async () => {
    await t.close()
  })

  const cases: {
    name: string
    path: string
    rawBody?: string
    body?: unknown
    headers?: Record<string, string>
    status: number
    field?: string
    reason: string
  }[] = [
    {
      name: 'malformed JSON',
      path: '/v1/login',
      rawBody: '{"email": "a@b.c",',
      headers: { 'content-type': 'application/json' },
      status: 400,
      field: 'body',
      reason: 'invalid_request',
    },
    {
      name: 'duplicate JSON members',
      path: '/v1/login',
      rawBody: '{"email":"a@b.c","email":"x@y.z","password":"12345678"}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      field: 'body',
      reason: 'invalid_request',
    },
    { name: 'a JSON array body', path: '/v1/signup', body: [1, 2], status: 400, reason: 'invalid_request' },
    {
      name: 'wrong type for email',
      path: '/v1/signup',
      body: { email: 42, password: PASSWORD },
      status: 400,
      field: 'email',
      reason: 'invalid_request',
    },
    {
      name: 'missing password',
      path: '/v1/login',
      body: { email: 'a@example.test' },
      status: 400,
      field: 'password',
      reason: 'invalid_request',
    },
    {
      name: 'unknown field',
      path: '/v1/signup',
      body: { email: 'b@example.test', password: PASSWORD, admin: true },
      status: 400,
      field: 'admin',
      reason: 'invalid_request',
    },
    {
      name: '__proto__ member',
      path: '/v1/signup',
      rawBody: '{"email":"c@example.test","password":"correct horse battery","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      field: '__proto__',
      reason: 'invalid_request',
    },
    {
      name: 'a 1 MiB password',
      path: '/v1/login',
      body: { email: 'a@example.test', password: 'p'.repeat(1024 * 1024) },
      status: 413,
      field: 'body',
      reason: 'invalid_request',
    },
    {
      name: 'a 1025-character password',
      path: '/v1/signup',
      body: { email: 'd@example.test', password: 'p'.repeat(1025) },
      status: 400,
      field: 'password',
      reason: 'invalid_request',
    },
    {
      name: 'a 7-character password',
      path: '/v1/signup',
      body: { email: 'e@example.test', password: 'short12' },
      status: 400,
      field: 'password',
      reason: 'invalid_request',
    },
    {
      name: 'an invalid email',
      path: '/v1/signup',
      body: { email: 'not an email', password: PASSWORD },
      status: 400,
      field: 'email',
      reason: 'invalid_request',
    },
    {
      name: 'a form body',
      path: '/v1/login',
      rawBody: 'email=a&password=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      reason: 'invalid_request',
    },
    {
      name: 'a refresh token of the wrong type',
      path: '/v1/refresh',
      body: { refresh_token: 12 },
      status: 400,
      field: 'refresh_token',
      reason: 'invalid_request',
    },
    {
      name: 'a 20 KiB refresh token',
      path: '/v1/refresh',
      body: { refresh_token: 'x'.repeat(20 * 1024) },
      status: 400,
      field: 'refresh_token',
      reason: 'invalid_request',
    },
  ]

  for (const c of cases) {
    test(c.name, async () => {
      const before = snapshot(file)
      const response = await call(t.url, c.path, {
        ...(c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody }),
        ...(c.headers ? { headers: c.headers } : {}),
      })
      assert.equal(response.status, c.status, response.text)
      assert.equal(response.body.reason, c.reason)
      if (c.field !== undefined) assert.equal(response.body.field, c.field)
      assert.equal(snapshot(file), before, 'nothing stored changed')
    })
  }

  test('a 20 KiB access token: 401 token_too_large', async () => {
    const response = await call(t.url, '/v1/me', { headers: bearer('a'.repeat(20 * 1024)) })
    assert.equal(response.status, 401)
    assert.equal(response.body.reason, 'token_too_large')
  })

  test('an 80 KiB header is refused by the HTTP layer with 431', async () => {
    const response = await call(t.url, '/v1/me', { headers: bearer('a'.repeat(80 * 1024)) })
    assert.equal(response.status, 431)
  })

  test('a duplicate signup is a 409 naming the email and changes nothing', async () => {
    const before = snapshot(file)
    const response = await call(t.url, '/v1/signup', {
      body: { email: user.email.toUpperCase(), password: PASSWORD },
    })
    assert.equal(response.status, 409)
    assert.equal(response.body.field, 'email')
    assert.equal(snapshot(file), before)
  })

  test('unknown endpoints are a JSON 404', async () => {
    const response = await call(t.url, '/v1/nothing-here')
    assert.equal(response.status, 404)
    assert.equal(response.body.reason, 'invalid_request')
  })
})

describe('login failure reveals nothing', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    await t.close()
  })

  test('unknown user and wrong password: identical status, headers and body', async () => {
    const user = await signUp(t.url)
    const unknown = await call(t.url, '/v1/login', {
      body: { email: uniqueEmail('nobody'), password: 'wrong password!' },
    })
    const wrong = await call(t.url, '/v1/login', { body: { email: user.email, password: 'wrong password!' } })
    assert.equal(unknown.status, 401)
    assert.equal(unknown.status, wrong.status)
    assert.equal(unknown.text, wrong.text, 'byte-identical bodies')
    const strip = (h: Headers): [string, string][] =>
      [...h.entries()].filter(
        ([name]) => !['date', 'content-length', 'keep-alive', 'connection'].includes(name),
      )
    assert.deepEqual(strip(unknown.headers), strip(wrong.headers))
    assert.equal(unknown.headers.get('content-length'), wrong.headers.get('content-length'))
  })
})
