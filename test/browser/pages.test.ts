/**
 * The hosted pages in a real browser (Debian's Chromium via playwright-core): sign up and sign in; the
 * cookies carry HttpOnly, Secure, SameSite=Strict and their prefixes' rules; no token is readable by script;
 * a page of another origin cannot refresh, log out or change the password (form post or fetch): `csrf_failed`
 * and nothing changes. Every page is screenshotted and passes axe-core (WCAG 2.1 AA).
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromiumMissing, launchChromium, runAxe, screenshot } from '../support/browser.ts'
import { call, PASSWORD, startTestServer, type TestServer, uniqueEmail } from '../support/test-server.ts'

const skip = chromiumMissing()

/** The attacker's page: a form post and three fetches at the auth server, each reporting its status. */
function attackerPage(target: string): string {
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/v1/password" enctype="text/plain">
<input name='{"current_password":"x","new_password":"pwned-by-csrf-123","pad":"' value='"}'></form>
<iframe name="sink" hidden></iframe>
<script>
const results = {}
async function attempt(name, path, init) {
  try { const r = await fetch('${target}' + path, { credentials: 'include', ...init }); results[name] = r.status }
  catch (e) { results[name] = 'blocked' }
}
window.runAttack = async () => {
  await attempt('refresh', '/v1/refresh', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })
  await attempt('refreshWithHeader', '/v1/refresh', { method: 'POST', headers: { 'x-tessera-csrf': '1' } })
  await attempt('logout', '/v1/logout', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })
  document.getElementById('f').target = 'sink'
  document.getElementById('f').submit()
  await new Promise((r) => setTimeout(r, 500))
  return results
}
</script></body></html>`
}

describe('browser: hosted pages', { skip }, () => {
  let t: TestServer
  let browser: Browser
  let evil: Server
  let evilUrl: string

  before(async () => {
    t = await startTestServer({ realIssuer: true })
    browser = await launchChromium()
    evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html')
      response.end(attackerPage(t.url))
    })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    // `localhost` is another site than `127.0.0.1`: the cross-site case. (Another port on 127.0.0.1 would be
    // the same site, another origin: covered by the Origin check all the same.)
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`
  })
  after(async () => {
    await browser?.close()
    evil?.close()
    await t?.close()
  })

  async function signUpThroughPage(context: BrowserContext, email: string): Promise<Page> {
    const page = await context.newPage()
    await page.goto(`${t.url}/signup`)
    await page.fill('#email', email)
    await page.fill('#password', PASSWORD)
    await page.click('button[type=submit]')
    await page.waitForURL(`${t.url}/account`)
    await page.waitForSelector('body[data-ready="true"]')
    return page
  }

  test('sign up, sign out, sign in again; cookies are HttpOnly, Secure, Strict and prefixed; nothing readable', async () => {
    const context = await browser.newContext()
    const email = uniqueEmail('pages')
    const page = await context.newPage()
    await page.goto(`${t.url}/signup`)
    await screenshot(page, 'signup')
    assert.deepEqual(await runAxe(page), [])
    await page.close()

    const account = await signUpThroughPage(context, email)
    assert.equal(await account.textContent('#who'), email)
    const cookies = await context.cookies()
    const refresh = cookies.filter((cookie) => cookie.name === '__Secure-tessera-rt')
    assert.deepEqual(refresh.map((cookie) => cookie.path).sort(), ['/v1/logout', '/v1/refresh'])
    for (const cookie of refresh) assert.ok(cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict')
    const fingerprint = cookies.find((cookie) => cookie.name === '__Host-tessera-fgp')
    assert.ok(fingerprint?.httpOnly && fingerprint.secure && fingerprint.sameSite === 'Strict')
    assert.equal(fingerprint.path, '/')
    assert.equal(fingerprint.domain, '127.0.0.1', 'host-only: no Domain attribute')
    const readable = await account.evaluate(() => {
      const g = globalThis as unknown as {
        document: { cookie: string }
        localStorage: object
        sessionStorage: object
      }
      return {
        cookie: g.document.cookie,
        local: Object.keys(g.localStorage).length,
        session: Object.keys(g.sessionStorage).length,
      }
    })
    assert.deepEqual(readable, { cookie: '', local: 0, session: 0 })

    await account.click('#sign-out')
    await account.waitForURL(`${t.url}/login`)
    assert.equal(
      (await context.cookies()).some((cookie) => cookie.name === '__Secure-tessera-rt'),
      false,
    )
    await screenshot(account, 'login-after-sign-out')
    await account.fill('#email', email)
    await account.fill('#password', 'wrong password entirely')
    await account.click('button[type=submit]')
    await account.waitForSelector('#status.error')
    assert.match((await account.textContent('#status')) ?? '', /email or password is wrong/)
    assert.deepEqual(await runAxe(account), [], 'the login page with an error passes axe')
    await account.fill('#password', PASSWORD)
    await account.click('button[type=submit]')
    await account.waitForURL(`${t.url}/account`)
    await account.waitForSelector('body[data-ready="true"]')

    // Change the password on the page: the other sessions end, the new password signs in.
    const elsewhere = await call(t.url, '/v1/login', { body: { email, password: PASSWORD } })
    assert.equal(elsewhere.status, 200)
    await account.fill('#current', PASSWORD)
    await account.fill('#next', 'a brand new passphrase for this account')
    await account.click('#password-form button[type=submit]')
    await account.waitForFunction(() =>
      /password was changed/.test(
        (
          globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }
        ).document.getElementById('status').textContent,
      ),
    )
    const stale = await call(t.url, '/v1/refresh', { body: { refresh_token: elsewhere.body.refresh_token } })
    assert.equal(stale.status, 401, 'the other session ended')
    const renewed = await call(t.url, '/v1/login', {
      body: { email, password: 'a brand new passphrase for this account' },
    })
    assert.equal(renewed.status, 200)
    await context.close()
  })

  test('another site cannot refresh, log out or change the password: csrf_failed, and nothing changes', async () => {
    const context = await browser.newContext()
    const email = uniqueEmail('csrf-victim')
    await signUpThroughPage(context, email)
    const attacker = await context.newPage()
    await attacker.goto(evilUrl)
    const results = await attacker.evaluate(() =>
      (globalThis as unknown as { runAttack(): Promise<Record<string, unknown>> }).runAttack(),
    )
    // Cross-site: CORS hides every answer from the attacker (no Access-Control-Allow-Origin for it), and the
    // preflighted request with the CSRF header never leaves the browser.
    assert.deepEqual(results, { refresh: 'blocked', refreshWithHeader: 'blocked', logout: 'blocked' })
    // Nothing changed: the victim's session refreshes, and the old password still signs in.
    const victim = await context.newPage()
    await victim.goto(`${t.url}/account`)
    await victim.waitForSelector('body[data-ready="true"]')
    const login = await call(t.url, '/v1/login', { body: { email, password: PASSWORD } })
    assert.equal(login.status, 200, 'the password was not changed by the cross-site form')
    await context.close()
  })

  test('the server answers csrf_failed to the requests such a page sends', async () => {
    // What the browser sends for those attempts, replayed exactly: Origin of the other site, text/plain.
    const origin = evilUrl.replace(/\/$/, '')
    for (const path of ['/v1/refresh', '/v1/logout', '/v1/password']) {
      const answer = await call(t.url, path, {
        rawBody: '{}',
        headers: { origin, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      })
      assert.equal(answer.status, 403, path)
      assert.equal(answer.body.reason, 'csrf_failed', path)
    }
  })

  test('an unknown provider is a 404, and a hostile return_to on the login page is ignored', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const response = await page.goto(`${t.url}/v1/oidc/nope/callback?state=x`)
    assert.equal(response?.status(), 404)
    await page.goto(`${t.url}/login?return_to=//evil.example/`)
    const link = await page.getAttribute('form#login-form', 'id')
    assert.equal(link, 'login-form', 'a hostile return_to is ignored, the page still renders')
    await context.close()
  })
})
