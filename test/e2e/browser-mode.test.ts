import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  call,
  PASSWORD,
  startTestServer,
  TEST_ORIGIN,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

/** Turns Set-Cookie headers into what a browser would send back as `Cookie` for a path. */
function cookieHeaderFor(setCookies: string[], path: string): string {
  return setCookies
    .map((c) => c.split(';').map((p) => p.trim()))
    .filter((parts) => {
      const pathAttr = parts.find((p) => p.startsWith('Path='))?.slice(5) ?? '/'
      const isDeleted = parts.includes('Max-Age=0')
      return !isDeleted && (path === pathAttr || path.startsWith(pathAttr === '/' ? '/' : `${pathAttr}`))
    })
    .map((parts) => parts[0])
    .filter((pair, index, all) => all.indexOf(pair) === index)
    .join('; ')
}

describe('browser (cookie) mode: cookies, CSRF and fingerprint binding', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    await t.close()
  })

  async function browserSignUp(): Promise<{ setCookies: string[]; accessToken: string }> {
    const response = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail('browser'), password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    assert.equal(response.status, 201)
    return { setCookies: response.headers.getSetCookie(), accessToken: response.body.access_token as string }
  }

  test('the refresh token is only in an HttpOnly, Secure, SameSite=Strict cookie scoped to refresh and logout', async () => {
    const response = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail('browser'), password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    assert.equal(response.status, 201)
    assert.equal(response.body.refresh_token, undefined, 'never in the body in browser mode')
    assert.equal(response.headers.get('access-control-allow-origin'), TEST_ORIGIN)
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true')
    const cookies = response.headers.getSetCookie()
    const refresh = cookies.filter((c) => c.startsWith('__Secure-tessera-rt='))
    assert.deepEqual(refresh.map((c) => /Path=([^;]+)/.exec(c)?.[1]).sort(), ['/v1/logout', '/v1/refresh'])
    for (const cookie of refresh) {
      assert.match(cookie, /; HttpOnly/)
      assert.match(cookie, /; Secure/)
      assert.match(cookie, /; SameSite=Strict/)
      assert.doesNotMatch(cookie, /Domain=/i)
    }
    const fingerprint = cookies.find((c) => c.startsWith('__Host-tessera-fgp='))
    assert.ok(fingerprint)
    assert.match(fingerprint, /; Path=\/; HttpOnly; Secure; SameSite=Strict/)
    assert.doesNotMatch(fingerprint, /Domain=/i)
  })

  test('a cookie refresh needs the allowed Origin and X-Tessera-CSRF: 1, otherwise csrf_failed and nothing changes', async () => {
    const { setCookies } = await browserSignUp()
    const cookie = cookieHeaderFor(setCookies, '/v1/refresh')
    const noHeader = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: TEST_ORIGIN, cookie },
    })
    assert.equal(noHeader.status, 403)
    assert.equal(noHeader.body.reason, 'csrf_failed')
    const evil = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: 'https://evil.example', cookie, 'x-tessera-csrf': '1' },
    })
    assert.equal(evil.status, 403)
    assert.equal(evil.body.reason, 'csrf_failed')
    assert.equal(evil.headers.get('access-control-allow-origin'), null)
    const nullOrigin = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: 'null', cookie, 'x-tessera-csrf': '1' },
    })
    assert.equal(nullOrigin.body.reason, 'csrf_failed')
    const noOrigin = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { cookie, 'x-tessera-csrf': '1' },
    })
    assert.equal(
      noOrigin.body.reason,
      'csrf_failed',
      'a cookie without an allowed Origin is not a browser-mode request',
    )

    const ok = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: TEST_ORIGIN, cookie, 'x-tessera-csrf': '1' },
    })
    assert.equal(ok.status, 200, 'the refused attempts changed nothing: the original cookie still rotates')
    assert.equal(ok.body.refresh_token, undefined)
    assert.ok(ok.headers.getSetCookie().some((c) => c.startsWith('__Secure-tessera-rt=tsr_')))
  })

  test('a cross-site write is refused before any handler runs (login CSRF)', async () => {
    const response = await call(t.url, '/v1/login', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    })
    assert.equal(response.status, 403)
    assert.equal(response.body.reason, 'csrf_failed')
    const fetchMeta = await call(t.url, '/v1/login', {
      body: { email: uniqueEmail(), password: PASSWORD },
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    assert.equal(fetchMeta.body.reason, 'csrf_failed')
    const textPlain = await call(t.url, '/v1/login', {
      rawBody: JSON.stringify({ email: uniqueEmail(), password: PASSWORD }),
      headers: { 'content-type': 'text/plain' },
    })
    assert.equal(textPlain.status, 415)
  })

  test('a browser-mode access token is refused without its fingerprint cookie', async () => {
    const { setCookies, accessToken } = await browserSignUp()
    const without = await call(t.url, '/v1/me', {
      headers: { authorization: `Bearer ${accessToken}`, origin: TEST_ORIGIN },
    })
    assert.equal(without.status, 401)
    assert.equal(without.body.reason, 'fingerprint_mismatch')
    const wrong = await call(t.url, '/v1/me', {
      headers: { authorization: `Bearer ${accessToken}`, cookie: '__Host-tessera-fgp=forged-value' },
    })
    assert.equal(wrong.body.reason, 'fingerprint_mismatch')
    const cookie = cookieHeaderFor(setCookies, '/v1/me')
    assert.match(cookie, /__Host-tessera-fgp=/)
    const ok = await call(t.url, '/v1/me', {
      headers: { authorization: `Bearer ${accessToken}`, cookie, origin: TEST_ORIGIN },
    })
    assert.equal(ok.status, 200)
  })

  test('logout through the cookie clears every cookie', async () => {
    const { setCookies } = await browserSignUp()
    const cookie = cookieHeaderFor(setCookies, '/v1/logout')
    const response = await call(t.url, '/v1/logout', {
      method: 'POST',
      headers: { origin: TEST_ORIGIN, cookie, 'x-tessera-csrf': '1' },
    })
    assert.equal(response.status, 204)
    const cleared = response.headers.getSetCookie()
    assert.equal(cleared.filter((c) => /Max-Age=0/.test(c)).length, 3)
    const refresh = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: {
        origin: TEST_ORIGIN,
        cookie: cookieHeaderFor(setCookies, '/v1/refresh'),
        'x-tessera-csrf': '1',
      },
    })
    assert.equal(refresh.body.reason, 'session_revoked')
  })

  test('two refresh cookies at once are refused (cookie tossing)', async () => {
    const { setCookies } = await browserSignUp()
    const cookie = cookieHeaderFor(setCookies, '/v1/refresh')
    const response = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: {
        origin: TEST_ORIGIN,
        'x-tessera-csrf': '1',
        cookie: `${cookie}; __Secure-tessera-rt=tsr_planted`,
      },
    })
    assert.equal(response.status, 400)
    assert.equal(response.body.reason, 'invalid_request')
  })
})
