import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  call,
  type JsonResponse,
  PASSWORD,
  signUp,
  startTestServer,
  TEST_ORIGIN,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'
import { type AccountState, accountState } from './support/account-state.ts'

/**
 * Attacks on browser mode: cookie attributes on every Set-Cookie (RFC 6265bis prefixes), cross-site
 * request forgery on every cookie-authenticated write and on the password change, and cookie fixation
 * (a planted second cookie of the same name). Every refusal is checked for its exact reason, for setting no
 * cookie, and for leaving users, sessions and refresh tokens as they were. Slightly over 400 lines: the
 * forgery table is data, twenty cases over two endpoints.
 */

const REFRESH_COOKIE = '__Secure-tessera-rt'
const FINGERPRINT_COOKIE = '__Host-tessera-fgp'
const DEVICE_COOKIE = '__Host-tessera-device'
const EVIL_ORIGIN = 'https://evil.example'
const CSRF = { 'x-tessera-csrf': '1' }

interface BrowserSession {
  readonly email: string
  readonly accessToken: string
  readonly setCookies: string[]
  readonly refresh: string
  readonly fingerprint: string
  readonly device: string
}

function cookieValue(setCookies: string[], name: string): string {
  const line = setCookies.find((cookie) => cookie.startsWith(`${name}=`) && !cookie.includes('Max-Age=0'))
  assert.ok(line, `no ${name} cookie set`)
  return line.slice(name.length + 1).split(';')[0] ?? ''
}

function sessionOf(email: string, response: JsonResponse): BrowserSession {
  const setCookies = response.headers.getSetCookie()
  return {
    email,
    accessToken: String(response.body.access_token),
    setCookies,
    refresh: cookieValue(setCookies, REFRESH_COOKIE),
    fingerprint: cookieValue(setCookies, FINGERPRINT_COOKIE),
    device: cookieValue(setCookies, DEVICE_COOKIE),
  }
}

/** What a browser sends to /v1/refresh and /v1/logout for this session. */
function cookiesOf(session: BrowserSession): string {
  return `${REFRESH_COOKIE}=${session.refresh}; ${FINGERPRINT_COOKIE}=${session.fingerprint}; ${DEVICE_COOKIE}=${session.device}`
}

/**
 * The rules every Set-Cookie of Tessera follows: HttpOnly, Secure, SameSite=Strict, an explicit Path, no
 * Domain; `__Host-` ones with Path=/ (RFC 6265bis §4.1.3.2), each attribute once.
 */
function assertCookieRules(setCookie: string): void {
  const [pair = '', ...attributes] = setCookie.split('; ')
  const name = pair.slice(0, pair.indexOf('='))
  assert.match(name, /^__(Host|Secure)-tessera-/, setCookie)
  const names = attributes.map((attribute) => attribute.split('=')[0]?.toLowerCase())
  assert.equal(new Set(names).size, names.length, `an attribute twice: ${setCookie}`)
  for (const required of ['HttpOnly', 'Secure', 'SameSite=Strict']) {
    assert.ok(attributes.includes(required), `${required} missing: ${setCookie}`)
  }
  assert.ok(!names.includes('domain'), `Domain set: ${setCookie}`)
  const path = attributes.find((attribute) => attribute.startsWith('Path='))
  assert.ok(path, `no Path: ${setCookie}`)
  if (name.startsWith('__Host-')) assert.equal(path, 'Path=/', setCookie)
}

describe('cookies and CSRF', () => {
  let t: TestServer
  /** The session every CSRF case attacks; no refusal may rotate or end it. */
  let target: BrowserSession

  async function browserSignUp(): Promise<BrowserSession> {
    const email = uniqueEmail('browser')
    const response = await call(t.url, '/v1/signup', {
      body: { email, password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    assert.equal(response.status, 201, response.text)
    return sessionOf(email, response)
  }

  function assertRefusedQuietly(
    response: JsonResponse,
    before: AccountState,
    expected: { status: number; reason: string; field?: string },
  ): void {
    assert.equal(response.status, expected.status, response.text)
    assert.equal(response.body.reason, expected.reason, response.text)
    if (expected.field !== undefined) assert.equal(response.body.field, expected.field)
    assert.deepEqual(response.headers.getSetCookie(), [], 'a refusal sets and clears no cookie')
    assert.equal(response.body.access_token, undefined)
    assert.deepEqual(accountState(t), before, 'users, sessions or refresh tokens changed')
  }

  before(async () => {
    t = await startTestServer()
    target = await browserSignUp()
  })
  after(() => t.close())

  describe('attributes of every Set-Cookie', () => {
    test('browser signup sets the refresh, fingerprint and device cookies, all by the rules', async () => {
      const session = await browserSignUp()
      const names = session.setCookies.map((cookie) => cookie.split('=')[0]).sort()
      assert.deepEqual(names, [DEVICE_COOKIE, REFRESH_COOKIE, REFRESH_COOKIE, FINGERPRINT_COOKIE].sort())
      for (const cookie of session.setCookies) assertCookieRules(cookie)
      const paths = session.setCookies
        .filter((cookie) => cookie.startsWith(`${REFRESH_COOKIE}=`))
        .map((cookie) => /Path=([^;]+)/.exec(cookie)?.[1])
      assert.deepEqual(paths.sort(), ['/v1/logout', '/v1/refresh'])
      assert.match(session.setCookies.find((c) => c.startsWith(DEVICE_COOKIE)) ?? '', /; Max-Age=15552000$/)
    })

    test('browser login sets the same four, by the same rules, with a new device cookie', async () => {
      const session = await browserSignUp()
      const response = await call(t.url, '/v1/login', {
        body: { email: session.email, password: PASSWORD },
        headers: { origin: TEST_ORIGIN },
      })
      assert.equal(response.status, 200)
      const cookies = response.headers.getSetCookie()
      assert.equal(cookies.length, 4)
      for (const cookie of cookies) assertCookieRules(cookie)
      assert.notEqual(cookieValue(cookies, DEVICE_COOKIE), session.device)
    })

    test('a cookie refresh sets a new refresh and fingerprint cookie by the rules, and no device cookie', async () => {
      const session = await browserSignUp()
      const response = await call(t.url, '/v1/refresh', {
        method: 'POST',
        headers: { origin: TEST_ORIGIN, ...CSRF, cookie: cookiesOf(session) },
      })
      assert.equal(response.status, 200, response.text)
      const cookies = response.headers.getSetCookie()
      for (const cookie of cookies) assertCookieRules(cookie)
      assert.deepEqual(cookies.map((cookie) => cookie.split('=')[0]).sort(), [
        FINGERPRINT_COOKIE,
        REFRESH_COOKIE,
        REFRESH_COOKIE,
      ])
      assert.notEqual(cookieValue(cookies, REFRESH_COOKIE), session.refresh)
    })

    test('logout clears the refresh cookie on both paths and the fingerprint, with Max-Age=0; the device cookie stays', async () => {
      const session = await browserSignUp()
      const response = await call(t.url, '/v1/logout', {
        method: 'POST',
        headers: { origin: TEST_ORIGIN, ...CSRF, cookie: cookiesOf(session) },
      })
      assert.equal(response.status, 204)
      const cookies = response.headers.getSetCookie()
      assert.equal(cookies.length, 3)
      for (const cookie of cookies) {
        assertCookieRules(cookie)
        assert.match(cookie, /^__(Secure-tessera-rt|Host-tessera-fgp)=; /)
        assert.match(cookie, /; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/)
      }
      const again = await call(t.url, '/v1/refresh', {
        method: 'POST',
        headers: { origin: TEST_ORIGIN, ...CSRF, cookie: cookiesOf(session) },
      })
      assert.equal(again.body.reason, 'session_revoked')
    })

    test('a failed cookie refresh clears the cookies, by the same rules', async () => {
      const response = await call(t.url, '/v1/refresh', {
        method: 'POST',
        headers: { origin: TEST_ORIGIN, ...CSRF, cookie: `${REFRESH_COOKIE}=tsr_${'A'.repeat(64)}` },
      })
      assert.equal(response.body.reason, 'invalid_refresh_token')
      const cookies = response.headers.getSetCookie()
      assert.equal(cookies.length, 3)
      for (const cookie of cookies) {
        assertCookieRules(cookie)
        assert.match(cookie, /; Max-Age=0/)
      }
    })

    test('native mode (no Origin) sets no cookie at all: signup, login, refresh', async () => {
      const user = await signUp(t.url, uniqueEmail('native'))
      const loggedIn = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      const refreshed = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
      for (const response of [loggedIn, refreshed]) {
        assert.equal(response.status, 200)
        assert.deepEqual(response.headers.getSetCookie(), [])
      }
      const signup = await call(t.url, '/v1/signup', {
        body: { email: uniqueEmail('native'), password: PASSWORD },
      })
      assert.deepEqual(signup.headers.getSetCookie(), [])
    })
  })

  /** One forged request shape: the headers it carries and, optionally, a body that is not JSON. */
  interface ForgedRequest {
    readonly label: string
    readonly headers: (session: BrowserSession) => Record<string, string>
    readonly rawBody?: string
    readonly expected: { status: number; reason: string; field?: string }
  }

  const CSRF_FAILED = { status: 403, reason: 'csrf_failed' }
  const NOT_JSON = { status: 415, reason: 'invalid_request', field: 'content-type' }
  const forgeries: ForgedRequest[] = [
    { label: 'no Origin', headers: (s) => ({ ...CSRF, cookie: cookiesOf(s) }), expected: CSRF_FAILED },
    {
      label: 'a cross-site Origin',
      headers: (s) => ({ origin: EVIL_ORIGIN, ...CSRF, cookie: cookiesOf(s) }),
      expected: CSRF_FAILED,
    },
    {
      label: 'Origin: null (a sandboxed frame)',
      headers: (s) => ({ origin: 'null', ...CSRF, cookie: cookiesOf(s) }),
      expected: CSRF_FAILED,
    },
    {
      label: 'Sec-Fetch-Site: cross-site and no Origin',
      headers: (s) => ({ 'sec-fetch-site': 'cross-site', ...CSRF, cookie: cookiesOf(s) }),
      expected: CSRF_FAILED,
    },
    {
      label: 'a sibling origin, Sec-Fetch-Site: same-site',
      headers: (s) => ({
        origin: 'https://evil.example.test',
        'sec-fetch-site': 'same-site',
        ...CSRF,
        cookie: cookiesOf(s),
      }),
      expected: CSRF_FAILED,
    },
    {
      label: 'the allowed Origin without X-Tessera-CSRF',
      headers: (s) => ({ origin: TEST_ORIGIN, cookie: cookiesOf(s) }),
      expected: CSRF_FAILED,
    },
    {
      label: 'the allowed Origin with X-Tessera-CSRF: true',
      headers: (s) => ({ origin: TEST_ORIGIN, 'x-tessera-csrf': 'true', cookie: cookiesOf(s) }),
      expected: CSRF_FAILED,
    },
    {
      label: 'a cross-site HTML form (urlencoded body, no custom header)',
      headers: (s) => ({
        origin: EVIL_ORIGIN,
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
        cookie: cookiesOf(s),
      }),
      rawBody: 'refresh_token=x',
      expected: CSRF_FAILED,
    },
    {
      label: 'a text/plain body, even from the allowed Origin with the header',
      headers: (s) => ({ origin: TEST_ORIGIN, ...CSRF, 'content-type': 'text/plain', cookie: cookiesOf(s) }),
      rawBody: '{}',
      expected: NOT_JSON,
    },
    {
      label: 'a urlencoded body, even from the allowed Origin with the header',
      headers: (s) => ({
        origin: TEST_ORIGIN,
        ...CSRF,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: cookiesOf(s),
      }),
      rawBody: 'a=b',
      expected: NOT_JSON,
    },
  ]

  for (const path of ['/v1/refresh', '/v1/logout']) {
    describe(`forged cookie requests to ${path}`, () => {
      for (const forgery of forgeries) {
        test(`${forgery.label}: ${forgery.expected.status} ${forgery.expected.reason}, nothing changed`, async () => {
          const before = accountState(t)
          const response = await call(t.url, path, {
            method: 'POST',
            headers: forgery.headers(target),
            ...(forgery.rawBody === undefined ? {} : { rawBody: forgery.rawBody }),
          })
          assertRefusedQuietly(response, before, forgery.expected)
        })
      }
    })
  }

  test('after every forgery the attacked session is intact: its cookie refreshes once, properly', async () => {
    const response = await call(t.url, '/v1/refresh', {
      method: 'POST',
      headers: { origin: TEST_ORIGIN, ...CSRF, cookie: cookiesOf(target) },
    })
    assert.equal(response.status, 200, response.text)
    target = { ...target, refresh: cookieValue(response.headers.getSetCookie(), REFRESH_COOKIE) }
  })

  describe('forged password changes', () => {
    let victim: BrowserSession
    before(async () => {
      victim = await browserSignUp()
    })

    const attempts: [string, (s: BrowserSession) => Record<string, string>, string | undefined, object][] = [
      [
        'a cross-site Origin',
        (s) => ({ origin: EVIL_ORIGIN, ...bearer(s.accessToken) }),
        undefined,
        CSRF_FAILED,
      ],
      ['Origin: null', (s) => ({ origin: 'null', ...bearer(s.accessToken) }), undefined, CSRF_FAILED],
      [
        'Sec-Fetch-Site: cross-site and no Origin',
        (s) => ({ 'sec-fetch-site': 'cross-site', ...bearer(s.accessToken) }),
        undefined,
        CSRF_FAILED,
      ],
      [
        'a text/plain body',
        (s) => ({ origin: TEST_ORIGIN, ...CSRF, 'content-type': 'text/plain', ...bearer(s.accessToken) }),
        '{"current_password":"x","new_password":"y"}',
        NOT_JSON,
      ],
      [
        'a urlencoded body',
        (s) => ({
          origin: TEST_ORIGIN,
          ...CSRF,
          'content-type': 'application/x-www-form-urlencoded',
          ...bearer(s.accessToken),
        }),
        'current_password=x&new_password=y',
        NOT_JSON,
      ],
      [
        'the cookies alone, no X-Tessera-CSRF (cookies never authenticate a password change)',
        (s) => ({ origin: TEST_ORIGIN, cookie: cookiesOf(s) }),
        undefined,
        { status: 401, reason: 'missing_token' },
      ],
    ]

    for (const [label, headers, rawBody, expected] of attempts) {
      test(`${label}: refused, the password unchanged`, async () => {
        const before = accountState(t)
        const response = await call(t.url, '/v1/password', {
          method: 'POST',
          headers: headers(victim),
          ...(rawBody === undefined
            ? { body: { current_password: PASSWORD, new_password: 'a brand new passphrase 9' } }
            : { rawBody }),
        })
        assertRefusedQuietly(response, before, expected as { status: number; reason: string })
        const login = await call(t.url, '/v1/login', { body: { email: victim.email, password: PASSWORD } })
        assert.equal(login.status, 200, 'the old password still works')
      })
    }
  })

  describe('fixation: a planted second cookie of the same name', () => {
    test('two refresh cookies at /v1/refresh: refused, neither session rotated', async () => {
      const victim = await browserSignUp()
      const attacker = await browserSignUp()
      const before = accountState(t)
      const response = await call(t.url, '/v1/refresh', {
        method: 'POST',
        headers: {
          origin: TEST_ORIGIN,
          ...CSRF,
          cookie: `${REFRESH_COOKIE}=${attacker.refresh}; ${cookiesOf(victim)}`,
        },
      })
      assertRefusedQuietly(response, before, { status: 400, reason: 'invalid_request', field: 'cookie' })
    })

    test('two refresh cookies at /v1/logout: refused, the session still alive', async () => {
      const victim = await browserSignUp()
      const attacker = await browserSignUp()
      const before = accountState(t)
      const response = await call(t.url, '/v1/logout', {
        method: 'POST',
        headers: {
          origin: TEST_ORIGIN,
          ...CSRF,
          cookie: `${cookiesOf(victim)}; ${REFRESH_COOKIE}=${attacker.refresh}`,
        },
      })
      assertRefusedQuietly(response, before, { status: 400, reason: 'invalid_request', field: 'cookie' })
    })

    test('two fingerprint cookies: refused rather than resolved', async () => {
      const victim = await browserSignUp()
      const attacker = await browserSignUp()
      const before = accountState(t)
      const response = await call(t.url, '/v1/refresh', {
        method: 'POST',
        headers: {
          origin: TEST_ORIGIN,
          ...CSRF,
          cookie: `${FINGERPRINT_COOKIE}=${attacker.fingerprint}; ${cookiesOf(victim)}`,
        },
      })
      assertRefusedQuietly(response, before, { status: 400, reason: 'invalid_request', field: 'cookie' })
    })

    test('a refresh cookie plus a refresh token in the body: one credential only, refused', async () => {
      const victim = await browserSignUp()
      const attacker = await signUp(t.url, uniqueEmail('planter'))
      const before = accountState(t)
      const response = await call(t.url, '/v1/refresh', {
        body: { refresh_token: attacker.refreshToken },
        headers: { origin: TEST_ORIGIN, ...CSRF, cookie: cookiesOf(victim) },
      })
      assertRefusedQuietly(response, before, {
        status: 400,
        reason: 'invalid_request',
        field: 'refresh_token',
      })
    })
  })
})
