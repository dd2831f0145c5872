import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { bearer, call, PASSWORD, startTestServer, TEST_ORIGIN, uniqueEmail } from '../support/test-server.ts'

test('no token, password, cookie or secret ever reaches the log, whatever the request carried', async () => {
  let log = ''
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString()
      done()
    },
  })
  const t = await startTestServer({ logStream })
  const secrets: string[] = [PASSWORD, 'wrong password!']
  try {
    const email = uniqueEmail('log')
    const signup = await call(t.url, '/v1/signup', { body: { email, password: PASSWORD } })
    const access = signup.body.access_token as string
    const refresh = signup.body.refresh_token as string
    secrets.push(access, refresh, access.split('.')[2] as string)
    await call(t.url, '/v1/login', { body: { email, password: 'wrong password!' } })
    await call(t.url, `/v1/me?access_token=${access}`)
    await call(t.url, '/v1/me', { headers: bearer(access) })
    await call(t.url, '/v1/me', { headers: bearer(`${access}x`) })
    const browser = await call(t.url, '/v1/login', {
      body: { email, password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    const cookies = browser.headers.getSetCookie().map((c) => c.split(';')[0] as string)
    for (const pair of cookies) secrets.push(pair.split('=')[1] as string)
    await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: TEST_ORIGIN, cookie: cookies.join('; '), 'x-tessera-csrf': '1' },
    })
    await call(t.url, '/v1/refresh', { body: { refresh_token: refresh } })
    await call(t.url, '/v1/refresh', {
      rawBody: `{"refresh_token":"${refresh}",`,
      headers: { 'content-type': 'application/json' },
    })
    await call(t.url, '/v1/password', {
      headers: bearer(access),
      body: { current_password: PASSWORD, new_password: 'another long passphrase' },
    })
    secrets.push('another long passphrase')
  } finally {
    await t.close()
  }
  assert.ok(log.includes('"path":"/v1/me"'), 'requests were logged')
  assert.ok(!log.includes('access_token='), 'query strings are not logged')
  for (const secret of secrets) {
    assert.ok(secret.length >= 8)
    assert.equal(log.includes(secret), false, `the log contains a secret (${secret.slice(0, 4)}…)`)
  }
})
