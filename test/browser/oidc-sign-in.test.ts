/**
 * In a real browser (Debian's Chromium through playwright-core): click "Sign in with <provider>" on
 * Tessera's login page, sign in at the loopback OpenID Provider, land back signed in on the account page,
 * and find this session in the devices list. The login and account pages are screenshotted and checked
 * with axe-core.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { chromiumMissing, launchChromium, runAxe, screenshot } from '../support/browser.ts'
import { type OidcProviderFixture, startOidcProvider } from '../support/oidc-provider-fixture.ts'
import { findFreePort, startTestServer, type TestServer, uniqueEmail } from '../support/test-server.ts'

const skip = chromiumMissing()

describe('browser: sign in with an OpenID Connect provider', { skip }, () => {
  let provider: OidcProviderFixture
  let t: TestServer
  let browser: Browser

  before(async () => {
    const port = await findFreePort()
    provider = await startOidcProvider({ redirectUris: [`http://127.0.0.1:${port}/v1/oidc/test/callback`] })
    t = await startTestServer({
      realIssuer: true,
      port,
      env: {
        TESSERA_OIDC_PROVIDERS: JSON.stringify([
          {
            id: 'test',
            name: 'Test Provider',
            issuer: provider.issuer,
            clientId: provider.clientId,
            clientSecret: provider.clientSecret,
          },
        ]),
      },
    })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await t?.close()
    await provider?.close()
  })

  test('click the provider button, sign in there, land back signed in with this device listed', async () => {
    const email = uniqueEmail('browser-oidc')
    const sub = provider.addAccount({ email, emailVerified: true, name: 'Grace' })
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${t.url}/login`)
    await screenshot(page, 'login')
    assert.deepEqual(await runAxe(page), [], 'the login page passes axe (WCAG 2.1 AA)')

    await page.getByRole('link', { name: 'Sign in with Test Provider' }).click()
    await page.waitForURL((url) => url.href.startsWith(provider.issuer))
    await page.fill('input[name="login"]', sub)
    await page.click('button#sign-in')

    await page.waitForURL(`${t.url}/account`)
    await page.waitForSelector('body[data-ready="true"]')
    assert.equal(await page.textContent('#who'), email)
    const devices = page.locator('#devices li')
    assert.equal(await devices.count(), 1)
    assert.match((await devices.first().textContent()) ?? '', /This device/)
    const identities = (await page.textContent('#identities')) ?? ''
    assert.match(identities, new RegExp(`test: ${email.replace(/[.]/g, '\\.')}`))
    await screenshot(page, 'account')
    assert.deepEqual(await runAxe(page), [], 'the account page passes axe (WCAG 2.1 AA)')

    // The refresh and fingerprint cookies are HttpOnly: the page's script cannot read a token anywhere.
    const readable = await page.evaluate(() => ({
      cookie: (globalThis as unknown as { document: { cookie: string } }).document.cookie,
      local: JSON.stringify({ ...(globalThis as unknown as { localStorage: object }).localStorage }),
      session: JSON.stringify({ ...(globalThis as unknown as { sessionStorage: object }).sessionStorage }),
    }))
    assert.deepEqual(readable, { cookie: '', local: '{}', session: '{}' })
    const cookies = await context.cookies()
    const refresh = cookies.find((cookie) => cookie.name === '__Secure-tessera-rt')
    assert.ok(refresh?.httpOnly && refresh.secure && refresh.sameSite === 'Strict')
    await context.close()
  })

  test('cancelling at the provider lands on a readable error page; pages fit a phone', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } })
    const page = await context.newPage()
    await page.goto(`${t.url}/login`)
    await screenshot(page, 'login-phone')
    await page.getByRole('link', { name: 'Sign in with Test Provider' }).click()
    await page.waitForURL((url) => url.href.startsWith(provider.issuer))
    await page.click('button#cancel')
    await page.waitForURL((url) => url.href.startsWith(`${t.url}/v1/oidc/test/callback`))
    assert.equal(await page.textContent('h1'), 'Sign-in failed')
    assert.match((await page.textContent('main')) ?? '', /cancelled at the provider/)
    await screenshot(page, 'oidc-error')
    assert.deepEqual(await runAxe(page), [], 'the error page passes axe')
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } }
        }
      ).document.documentElement
      return root.scrollWidth - root.clientWidth
    })
    assert.equal(overflow, 0, 'no horizontal scrolling at phone width')
    await context.close()
  })
})
