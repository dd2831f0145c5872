import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  call,
  PASSWORD,
  startTestServer,
  TEST_ORIGIN,
  type TestServer,
  uniqueEmail,
} from '../../../test/support/test-server.ts'
import type { ClientEventType } from './client-events.ts'
import { createClient, type TesseraClient } from './create-client.ts'
import { TesseraClientError } from './index.ts'
import { type BrowserLikeFetch, createBrowserLikeFetch } from './testing/browser-like-fetch.ts'
import { createFakeChannelHub, createFakeLocks } from './testing/fake-tab-apis.ts'
import { createManualTimers } from './testing/manual-timers.ts'

// Tokens live ≤ 900 s and the server allows 5 s of leeway.
const PAST_EXPIRY_SECONDS = 906

let server: TestServer
before(async () => {
  server = await startTestServer({ realIssuer: true })
})
after(async () => {
  await server.close()
})

type Tab = { client: TesseraClient; events: Array<{ type: ClientEventType; detail: unknown }> }

/** One browser (a cookie jar shared by its tabs), with Web Locks and BroadcastChannel fakes. */
function openBrowser(options: { withLocks?: boolean } = {}): {
  browser: BrowserLikeFetch
  openTab: () => Tab
} {
  const browser = createBrowserLikeFetch({ origin: TEST_ORIGIN })
  const locks = createFakeLocks()
  const hub = createFakeChannelHub()
  const crossTab = options.withLocks === false ? { openChannel: hub.open } : { locks, openChannel: hub.open }
  const openTab = (): Tab => {
    const client = createClient({
      issuer: server.url,
      mode: 'cookie',
      fetch: browser.fetch,
      timers: createManualTimers(),
      crossTab,
    })
    const events: Tab['events'] = []
    for (const type of ['refreshed', 'signed-in', 'signed-out', 'session-ended'] as const)
      client.addEventListener(type, (event) => events.push({ type, detail: event.detail }))
    return { client, events }
  }
  return { browser, openTab }
}

/** The tab's next event of `type`; rejects after 10 s, so a lost event fails the test instead of hanging it. */
function nextEvent(tab: Tab, type: ClientEventType): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within 10 s`)), 10_000)
    tab.client.addEventListener(
      type,
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

describe('@tessera/client in cookie mode, tabs of one browser against a real server', () => {
  test('the refresh token stays in the HttpOnly cookie; a new tab restores the session from it', async () => {
    const { browser, openTab } = openBrowser()
    const first = openTab()
    await first.client.signUp({ email: uniqueEmail('cookie'), password: PASSWORD })
    const signup = browser.requests.find((r) => r.path === '/v1/signup')
    assert.equal(signup?.headers.get('x-tessera-csrf'), '1')
    assert.deepEqual(browser.cookieNames(), [
      // The device cookie gives this browser its own login throttle bucket (docs/security.md).
      '__Host-tessera-device /',
      '__Host-tessera-fgp /',
      '__Secure-tessera-rt /v1/logout',
      '__Secure-tessera-rt /v1/refresh',
    ])
    // Fingerprint-bound: the token works only with the cookie that the client lets the browser send.
    assert.equal((await first.client.fetch(`${server.url}/v1/me`)).status, 200)
    const bare = await call(server.url, '/v1/me', { headers: bearer(first.client.accessToken!) })
    assert.equal(bare.body.reason, 'fingerprint_mismatch')

    const second = openTab() // a page load: nothing in memory
    assert.equal(second.client.accessToken, undefined)
    const adopted = nextEvent(first, 'refreshed')
    assert.equal((await second.client.fetch(`${server.url}/v1/me`)).status, 200)
    await adopted
    assert.equal(browser.count('/v1/refresh'), 1)
    // The refresh rotated the fingerprint cookie; the first tab took the new token instead of failing.
    assert.equal(first.client.accessToken, second.client.accessToken)
    assert.equal((await first.client.fetch(`${server.url}/v1/me`)).status, 200)
    assert.equal(browser.count('/v1/refresh'), 1)
    first.client.close()
    second.client.close()
  })

  for (const withLocks of [true, false]) {
    test(`expired tokens in two tabs: exactly one refresh on the wire (${withLocks ? 'Web Locks' : 'BroadcastChannel only'})`, async () => {
      const { browser, openTab } = openBrowser({ withLocks })
      const [a, b] = [openTab(), openTab()]
      const adopted = nextEvent(b, 'signed-in')
      await a.client.signUp({ email: uniqueEmail('tabs'), password: PASSWORD })
      await adopted
      server.clock.advance(PAST_EXPIRY_SECONDS)
      const responses = await Promise.all([
        a.client.fetch(`${server.url}/v1/me`),
        b.client.fetch(`${server.url}/v1/me`),
        a.client.fetch(`${server.url}/v1/sessions`),
        b.client.fetch(`${server.url}/v1/sessions`),
      ])
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200, 200, 200],
      )
      assert.equal(browser.count('/v1/refresh'), 1)
      assert.equal(a.client.accessToken, b.client.accessToken)
      a.client.close()
      b.client.close()
    })
  }

  test('signing out in one tab signs out the others; the cookies are gone', async () => {
    const { browser, openTab } = openBrowser()
    const [a, b] = [openTab(), openTab()]
    const adopted = nextEvent(b, 'signed-in')
    await a.client.signIn(await signedUpAccount())
    await adopted
    const signedOut = nextEvent(b, 'signed-out')
    await a.client.signOut()
    await signedOut
    assert.equal(b.client.accessToken, undefined)
    assert.deepEqual(b.events.at(-1), { type: 'signed-out', detail: { isFromOtherTab: true } })
    // Sign-out clears the session's cookies; the device cookie stays, so this browser keeps its own
    // login throttle bucket (it is no credential: it only says "this browser signed in here before").
    assert.deepEqual(browser.cookieNames(), ['__Host-tessera-device /'])
    const logout = browser.requests.find((r) => r.path === '/v1/logout')
    assert.equal(logout?.headers.get('authorization'), null, 'the cookie is the one credential')
    assert.equal(logout?.headers.get('x-tessera-csrf'), '1')
    a.client.close()
    b.client.close()
  })

  test('a session revoked elsewhere ends in every tab with session_revoked', async () => {
    const { openTab } = openBrowser()
    const [a, b] = [openTab(), openTab()]
    const account = await signedUpAccount()
    const adopted = nextEvent(b, 'signed-in')
    await a.client.signIn(account)
    await adopted
    const phone = await call(server.url, '/v1/login', { body: account })
    const revoke = await call(server.url, '/v1/sessions?keep_current=true', {
      method: 'DELETE',
      headers: bearer(String(phone.body.access_token)),
    })
    assert.equal(revoke.status, 204)
    const ended = nextEvent(b, 'session-ended')
    assert.equal((await a.client.fetch(`${server.url}/v1/me`)).status, 401)
    await ended
    assert.deepEqual(a.events.at(-1), {
      type: 'session-ended',
      detail: { reason: 'session_revoked', isFromOtherTab: false },
    })
    assert.deepEqual(b.events.at(-1), {
      type: 'session-ended',
      detail: { reason: 'session_revoked', isFromOtherTab: true },
    })
    a.client.close()
    b.client.close()
  })

  test('a first visit without a cookie: refresh rejects missing_token and no event fires', async () => {
    const { browser, openTab } = openBrowser()
    const tab = openTab()
    const error = await tab.client.refresh().catch((e: unknown) => e)
    assert.ok(error instanceof TesseraClientError)
    assert.equal(error.reason, 'missing_token')
    assert.equal(error.retryable, false)
    assert.deepEqual(tab.events, [])
    // Signed out now: a fetch goes out without a token and does not try to refresh again.
    assert.equal((await tab.client.fetch(`${server.url}/v1/me`)).status, 401)
    assert.equal(browser.count('/v1/refresh'), 1)
    tab.client.close()
  })

  test('no token or refresh token is ever written to web storage or document.cookie', async () => {
    const touched: string[] = []
    const trap = (name: string): object =>
      new Proxy({}, { get: (_target, key) => touched.push(`${name}.${String(key)}`) && undefined })
    const saved = Object.getOwnPropertyDescriptors(globalThis)
    Object.defineProperty(globalThis, 'localStorage', { value: trap('localStorage'), configurable: true })
    Object.defineProperty(globalThis, 'sessionStorage', { value: trap('sessionStorage'), configurable: true })
    Object.defineProperty(globalThis, 'document', { value: trap('document'), configurable: true })
    try {
      const { openTab } = openBrowser()
      const tab = openTab()
      await tab.client.signIn(await signedUpAccount())
      await tab.client.refresh()
      assert.equal((await tab.client.fetch(`${server.url}/v1/me`)).status, 200)
      await tab.client.signOut()
      tab.client.close()
    } finally {
      for (const name of ['localStorage', 'sessionStorage', 'document']) {
        const original = saved[name]
        if (original) Object.defineProperty(globalThis, name, original)
        else Reflect.deleteProperty(globalThis, name)
      }
    }
    assert.deepEqual(touched, [])
  })
})

async function signedUpAccount(): Promise<{ email: string; password: string }> {
  const email = uniqueEmail('cookie')
  const response = await call(server.url, '/v1/signup', { body: { email, password: PASSWORD } })
  assert.equal(response.status, 201)
  return { email, password: PASSWORD }
}
