/**
 * Sign-in through a real OpenID Provider (oidc-provider on loopback, the stand-in for Google): a first login
 * creates the user, a second finds the same user, a verified email links to an existing password account
 * when the provider allows it, an unverified one never does; replays, missing cookies and hostile
 * `return_to` values are refused with a reason; identities can be listed and unlinked.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { deriveServerKeys } from '../../packages/server/src/secrets/derived-keys.ts'
import { decryptPrivateKey } from '../../packages/server/src/secrets/key-encryption.ts'
import { loadServerSecret } from '../../packages/server/src/secrets/server-secret.ts'
import { type OidcProviderFixture, startOidcProvider } from '../support/oidc-provider-fixture.ts'
import {
  bearer,
  call,
  findFreePort,
  signUp,
  startTestServer,
  TEST_ORIGIN,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

interface Browser {
  /** Cookies as a browser would keep them for the auth server (name → value). */
  readonly cookies: Map<string, string>
}

function cookieHeader(browser: Browser): string {
  return [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
}

function keepCookies(browser: Browser, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (/Max-Age=0/i.test(line)) browser.cookies.delete(name)
    else browser.cookies.set(name, value)
  }
}

describe('sign-in with an OpenID Connect provider (oidc-provider on loopback)', () => {
  let provider: OidcProviderFixture
  let t: TestServer

  before(async () => {
    const port = await findFreePort()
    const base = `http://127.0.0.1:${port}`
    provider = await startOidcProvider({
      redirectUris: [
        `${base}/v1/oidc/test/callback`,
        `${base}/v1/oidc/nolink/callback`,
        `${base}/v1/oidc/keep/callback`,
      ],
    })
    const entry = {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    }
    t = await startTestServer({
      realIssuer: true,
      port,
      env: {
        TESSERA_OIDC_PROVIDERS: JSON.stringify([
          { id: 'test', name: 'Test Provider', linkByVerifiedEmail: true, ...entry },
          { id: 'nolink', name: 'Strict Provider', ...entry },
          { id: 'keep', name: 'Keeping Provider', keepUpstreamTokens: true, ...entry },
        ]),
      },
    })
  })
  after(async () => {
    await t?.close()
    await provider?.close()
  })

  /** Start → provider → callback, as a browser; returns the callback's answer and the browser. */
  async function signIn(
    providerId: string,
    sub: string,
    options: { returnTo?: string; browser?: Browser } = {},
  ) {
    const browser = options.browser ?? { cookies: new Map<string, string>() }
    const query = options.returnTo === undefined ? '' : `?return_to=${encodeURIComponent(options.returnTo)}`
    const start = await fetch(`${t.url}/v1/oidc/${providerId}/start${query}`, { redirect: 'manual' })
    assert.equal(start.status, 303, await start.clone().text())
    keepCookies(browser, start)
    const callbackUrl = await provider.authorize(start.headers.get('location') ?? '', sub)
    const callback = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { cookie: cookieHeader(browser) },
    })
    keepCookies(browser, callback)
    return { callback, callbackUrl, browser }
  }

  /** The page at return_to gets its access token from the refresh cookie, then asks who it is. */
  async function whoAmI(browser: Browser): Promise<{ id: string; email: string }> {
    const refreshed = await call(t.url, '/v1/refresh', {
      body: {},
      headers: { origin: TEST_ORIGIN, 'x-tessera-csrf': '1', cookie: cookieHeader(browser) },
    })
    assert.equal(refreshed.status, 200, refreshed.text)
    keepCookies(browser, { headers: refreshed.headers } as Response)
    // The access token is bound to the fingerprint cookie (fph): /v1/me needs both.
    const me = await call(t.url, '/v1/me', {
      headers: { ...bearer(refreshed.body.access_token as string), cookie: cookieHeader(browser) },
    })
    assert.equal(me.status, 200, me.text)
    return (me.body as { user: { id: string; email: string } }).user
  }

  test('a first login creates the user in cookie mode; a second login finds the same user', async () => {
    const email = uniqueEmail('oidc-new')
    const sub = provider.addAccount({ email, emailVerified: true, name: 'Ada' })
    const first = await signIn('test', sub, { returnTo: `${TEST_ORIGIN}/home` })
    assert.equal(first.callback.status, 303, await first.callback.text())
    assert.equal(first.callback.headers.get('location'), `${TEST_ORIGIN}/home`)
    const cookies = first.callback.headers.getSetCookie()
    assert.ok(
      cookies.some((c) =>
        /^__Secure-tessera-rt=.+; Path=\/v1\/refresh; HttpOnly; Secure; SameSite=Strict/.test(c),
      ),
    )
    assert.ok(
      cookies.some((c) => c.startsWith('__Host-tessera-oidc=;')),
      'the login cookie is cleared',
    )
    assert.doesNotMatch(first.callback.headers.get('location') ?? '', /token|code/, 'no token in the URL')
    const user = await whoAmI(first.browser)
    assert.equal(user.email, email)

    const second = await signIn('test', sub)
    assert.equal(second.callback.status, 303)
    assert.equal(second.callback.headers.get('location'), `${t.url}/`)
    assert.equal((await whoAmI(second.browser)).id, user.id, 'the same user')
  })

  test('a verified email links to the existing password account when the provider may link', async () => {
    const owner = await signUp(t.url, uniqueEmail('oidc-owner'))
    const sub = provider.addAccount({ email: owner.email, emailVerified: true })
    const { callback, browser } = await signIn('test', sub)
    assert.equal(callback.status, 303)
    assert.equal((await whoAmI(browser)).id, owner.userId)
    const listed = await call(t.url, '/v1/identities', { headers: bearer(owner.accessToken) })
    const identities = listed.body.identities as {
      provider: string
      subject: string
      email_verified: boolean
    }[]
    assert.deepEqual(
      identities.map((identity) => [identity.provider, identity.subject, identity.email_verified]),
      [['test', sub, true]],
    )
  })

  test('an unverified email never links, and never takes over the address', async () => {
    const owner = await signUp(t.url, uniqueEmail('oidc-victim'))
    const sub = provider.addAccount({ email: owner.email, emailVerified: false })
    const { callback } = await signIn('test', sub)
    assert.equal(callback.status, 400)
    assert.equal(callback.headers.get('tessera-reason'), 'invalid_credentials')
    assert.equal(callback.headers.get('tessera-detail'), 'link_required')
    assert.match(await callback.text(), /Sign in with your password, then link/)
    const listed = await call(t.url, '/v1/identities', { headers: bearer(owner.accessToken) })
    assert.deepEqual(listed.body.identities, [], 'nothing was linked')
  })

  test('a verified email on a provider that may not link gets the link page, not the account', async () => {
    const owner = await signUp(t.url, uniqueEmail('oidc-nolink'))
    const sub = provider.addAccount({ email: owner.email, emailVerified: true })
    const { callback } = await signIn('nolink', sub)
    assert.equal(callback.status, 400)
    assert.equal(callback.headers.get('tessera-detail'), 'link_required')
  })

  test('an unverified email of nobody makes an account with a placeholder address', async () => {
    const sub = provider.addAccount({ email: uniqueEmail('oidc-unverified'), emailVerified: false })
    const { callback, browser } = await signIn('test', sub)
    assert.equal(callback.status, 303)
    assert.match((await whoAmI(browser)).email, /^oidc-[0-9a-f]{32}@identity\.invalid$/)
  })

  test('a replayed callback, a callback without the cookie and one from another browser are refused', async () => {
    const sub = provider.addAccount({ email: uniqueEmail('oidc-replay'), emailVerified: true })
    const { callbackUrl, browser } = await signIn('test', sub)
    const replay = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { cookie: `__Host-tessera-oidc=x` },
    })
    assert.equal(replay.headers.get('tessera-reason'), 'csrf_failed')
    assert.equal(replay.headers.get('tessera-detail'), 'unknown_expired_or_used_state')
    assert.ok(browser.cookies.has('__Secure-tessera-rt'))

    const start = await fetch(`${t.url}/v1/oidc/test/start`, { redirect: 'manual' })
    const fresh = await provider.authorize(start.headers.get('location') ?? '', sub)
    const noCookie = await fetch(fresh, { redirect: 'manual' })
    assert.equal(noCookie.status, 400)
    assert.equal(noCookie.headers.get('tessera-detail'), 'missing_browser_cookie')

    const started = await fetch(`${t.url}/v1/oidc/test/start`, { redirect: 'manual' })
    const other = await provider.authorize(started.headers.get('location') ?? '', sub)
    const wrongBrowser = await fetch(other, {
      redirect: 'manual',
      headers: { cookie: '__Host-tessera-oidc=someone-elses-cookie' },
    })
    assert.equal(wrongBrowser.headers.get('tessera-detail'), 'browser_mismatch')
  })

  test('a cancelled login at the provider becomes a readable page with a reason', async () => {
    const browser: Browser = { cookies: new Map() }
    const start = await fetch(`${t.url}/v1/oidc/test/start`, { redirect: 'manual' })
    keepCookies(browser, start)
    const sub = provider.addAccount({ email: uniqueEmail('oidc-cancel'), emailVerified: true })
    const denied = await provider.authorize(start.headers.get('location') ?? '', sub, { deny: true })
    const page = await fetch(denied, { redirect: 'manual', headers: { cookie: cookieHeader(browser) } })
    assert.equal(page.status, 400)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(page.headers.get('tessera-reason'), 'invalid_credentials')
    assert.match(await page.text(), /cancelled/)
  })

  test('return_to outside the allowed origins is refused before anything starts', async () => {
    for (const hostile of [
      '//evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      'https://evil.example/',
    ]) {
      const start = await fetch(`${t.url}/v1/oidc/test/start?return_to=${encodeURIComponent(hostile)}`, {
        redirect: 'manual',
      })
      assert.equal(start.status, 400, hostile)
      assert.equal(((await start.json()) as { field: string }).field, 'return_to')
      assert.equal(start.headers.getSetCookie().length, 0)
    }
    assert.equal((await fetch(`${t.url}/v1/oidc/nosuch/start`, { redirect: 'manual' })).status, 404)
  })

  test('identities: the last way into a password-less account cannot be unlinked', async () => {
    const sub = provider.addAccount({ email: uniqueEmail('oidc-only'), emailVerified: true })
    const { browser } = await signIn('test', sub)
    const refreshed = await call(t.url, '/v1/refresh', {
      body: {},
      headers: { origin: TEST_ORIGIN, 'x-tessera-csrf': '1', cookie: cookieHeader(browser) },
    })
    keepCookies(browser, { headers: refreshed.headers } as Response)
    const auth = {
      ...bearer(refreshed.body.access_token as string),
      cookie: cookieHeader(browser),
      origin: TEST_ORIGIN,
    }
    const listed = await call(t.url, '/v1/identities', { headers: auth })
    assert.equal(listed.status, 200, listed.text)
    const [identity] = listed.body.identities as { id: string }[]
    const refused = await call(t.url, `/v1/identities/${identity?.id}`, { method: 'DELETE', headers: auth })
    assert.equal(refused.status, 409, refused.text)
    const unknown = await call(t.url, '/v1/identities/idn_nope', { method: 'DELETE', headers: auth })
    assert.equal(unknown.status, 404)
  })

  test('upstream tokens are dropped unless the provider keeps them, and then they are encrypted', async () => {
    const { store } = t.server.services
    const dropped = provider.addAccount({ email: uniqueEmail('oidc-drop'), emailVerified: true })
    await signIn('test', dropped)
    const droppedRow = await store.identities.findBySubject(provider.issuer, dropped)
    assert.equal(droppedRow?.upstreamTokensCiphertext, null)

    const kept = provider.addAccount({ email: uniqueEmail('oidc-keep'), emailVerified: true })
    await signIn('keep', kept)
    const keptRow = await store.identities.findBySubject(provider.issuer, kept)
    const ciphertext = keptRow?.upstreamTokensCiphertext ?? ''
    assert.match(ciphertext, /^v1\./)
    assert.doesNotMatch(ciphertext, /access_token/)
    const secret = loadServerSecret({ configured: undefined, dataDir: t.dataDir, warn: () => undefined })
    const plaintext = decryptPrivateKey(ciphertext, {
      kid: keptRow?.id ?? '',
      key: deriveServerKeys(secret).keyEncryption,
    })
    const tokens = JSON.parse(plaintext.toString('utf8')) as { accessToken: string }
    assert.ok(tokens.accessToken.length > 10, 'the provider’s access token, recoverable with the secret only')
  })

  test('a signed-in user links a provider; the same identity cannot then be linked to another account', async () => {
    const owner = await signUp(t.url, uniqueEmail('oidc-linker'))
    const sub = provider.addAccount({ email: uniqueEmail('oidc-linked-elsewhere'), emailVerified: true })
    const linking = await fetch(`${t.url}/v1/oidc/test/link`, {
      method: 'POST',
      headers: { ...bearer(owner.accessToken), 'content-type': 'application/json' },
      body: JSON.stringify({ return_to: '/account' }),
    })
    assert.equal(linking.status, 200, await linking.clone().text())
    const { authorization_url: authorizationUrl } = (await linking.json()) as { authorization_url: string }
    const browser: Browser = { cookies: new Map() }
    keepCookies(browser, linking)
    const callbackUrl = await provider.authorize(authorizationUrl, sub)
    const callback = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { cookie: cookieHeader(browser) },
    })
    assert.equal(callback.status, 303, await callback.clone().text())
    const listed = await call(t.url, '/v1/identities', { headers: bearer(owner.accessToken) })
    assert.deepEqual(
      (listed.body.identities as { subject: string }[]).map((identity) => identity.subject),
      [sub],
    )

    const intruder = await signUp(t.url, uniqueEmail('oidc-intruder'))
    const second = await fetch(`${t.url}/v1/oidc/test/link`, {
      method: 'POST',
      headers: { ...bearer(intruder.accessToken), 'content-type': 'application/json' },
      body: '{}',
    })
    const secondBrowser: Browser = { cookies: new Map() }
    keepCookies(secondBrowser, second)
    const url = ((await second.json()) as { authorization_url: string }).authorization_url
    const refused = await fetch(await provider.authorize(url, sub), {
      redirect: 'manual',
      headers: { cookie: cookieHeader(secondBrowser) },
    })
    assert.equal(refused.status, 400)
    assert.equal(refused.headers.get('tessera-detail'), 'identity_linked_to_another_account')
  })
})
