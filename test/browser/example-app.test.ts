/**
 * The example web page (examples/web, @tessera/client in cookie mode) and the Express example API behind the
 * guard, in Chromium: a device signed out from the hosted devices page hears `session_revoked` at the API
 * within 2 s and the client says "sign in again"; two tabs whose tokens expire together stay signed in with
 * one refresh on the wire (or two absorbed by the grace window).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { systemClock } from '@tessera/core'
import type { Browser, Page } from 'playwright-core'
import { type ExampleApi, startExpressExample } from '../../examples/express-api.ts'
import { type ExampleWeb, startExampleWeb } from '../../examples/web-server.ts'
import { chromiumMissing, launchChromium, runAxe, screenshot } from '../support/browser.ts'
import { createTestClient } from '../support/service-clients.ts'
import {
  findFreePort,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

const skip = chromiumMissing()

describe('browser: the example page and API', { skip }, () => {
  let t: TestServer
  let api: ExampleApi
  let web: ExampleWeb
  let browser: Browser

  before(async () => {
    const webPort = await findFreePort()
    const webOrigin = `http://127.0.0.1:${webPort}`
    t = await startTestServer({
      realIssuer: true,
      clock: systemClock,
      env: {
        TESSERA_ALLOWED_ORIGINS: webOrigin,
        TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api',
        TESSERA_ACCESS_TOKEN_DEFAULT_SCOPES: 'orders:read',
        // The shortest lifetime allowed, so that the two-tab test sees a proactive refresh within the test.
        TESSERA_ACCESS_TOKEN_TTL_SECONDS: '60',
      },
    })
    const guardClient = await createTestClient(t, 'revocations:read tokens:consume')
    api = await startExpressExample({
      issuer: t.url,
      webOrigin,
      client: { id: guardClient.id, secret: guardClient.secret },
    })
    web = await startExampleWeb({ issuer: t.url, api: api.url, port: webPort })
    await api.guard.verifyToken('warm-up').catch(() => undefined)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await web?.close()
    await api?.close()
    await t?.close()
  })

  async function signInOnExamplePage(page: Page, email: string): Promise<void> {
    await page.goto(`${web.url}/`)
    await page.waitForSelector('body[data-state="signed-out"]')
    await page.fill('#email', email)
    await page.fill('#password', PASSWORD)
    await page.click('#sign-in button[type=submit]')
    await page.waitForSelector('body[data-state="signed-in"]')
  }

  async function loadOrders(page: Page): Promise<{ status: string; reason: string }> {
    return page.evaluate(async () => {
      const g = globalThis as unknown as {
        tesseraExample: { loadOrders(): Promise<void> }
        document: { body: { dataset: Record<string, string> } }
      }
      await g.tesseraExample.loadOrders()
      return {
        status: g.document.body.dataset.lastStatus ?? '',
        reason: g.document.body.dataset.lastReason ?? '',
      }
    })
  }

  test('a device signed out on the devices page hears session_revoked at the API within 2 s', async () => {
    const user = await signUp(t.url, uniqueEmail('example-revoke'))
    const device = await (await browser.newContext()).newPage()
    await signInOnExamplePage(device, user.email)
    assert.deepEqual(await loadOrders(device), { status: '200', reason: '' })
    await screenshot(device, 'example-page')
    assert.deepEqual(await runAxe(device), [])

    const owner = await (await browser.newContext()).newPage()
    await owner.goto(`${t.url}/login`)
    await owner.fill('#email', user.email)
    await owner.fill('#password', PASSWORD)
    await owner.click('button[type=submit]')
    await owner.waitForSelector('body[data-ready="true"]')
    // Sessions: the API signup, the example page, and this page; sign out the example page's device.
    const other = owner
      .locator('#devices li', { hasText: 'Chrome' })
      .filter({ hasNot: owner.locator('.current') })
    const before = await owner.locator('#devices li').count()
    await other.first().locator('button').click()
    await owner.waitForFunction((count) => {
      const g = globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
      return g.document.querySelectorAll('#devices li').length === count - 1
    }, before)
    const revokedAt = performance.now()

    let answer = { status: '', reason: '' }
    while (performance.now() - revokedAt < 2000) {
      answer = await loadOrders(device)
      if (answer.reason === 'session_revoked') break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const elapsed = performance.now() - revokedAt
    assert.deepEqual(answer, { status: '401', reason: 'session_revoked' }, `after ${Math.round(elapsed)} ms`)
    await device.waitForSelector('body[data-ended]')
    assert.match((await device.textContent('#state')) ?? '', /sign in again/)
    await screenshot(device, 'example-page-session-ended')
  })

  test('two tabs whose tokens expire together both stay signed in, with one refresh on the wire', async () => {
    const user = await signUp(t.url, uniqueEmail('example-tabs'))
    const context = await browser.newContext()
    const refreshes: number[] = []
    context.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${t.url}/v1/refresh`) refreshes.push(Date.now())
    })
    const first = await context.newPage()
    await signInOnExamplePage(first, user.email)
    const second = await context.newPage()
    await second.goto(`${web.url}/`)
    await second.waitForSelector('body[data-state="signed-in"]')
    const settledAt = Date.now()
    // Both tabs now hold tokens that expire within a second of each other; wait past the proactive refresh.
    const deadline = Date.now() + 45_000
    while (Date.now() < deadline && refreshes.filter((at) => at > settledAt).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const proactive = refreshes.filter((at) => at > settledAt)
    assert.ok(proactive.length >= 1, 'a proactive refresh happened')
    assert.ok(proactive.length <= 2, `${proactive.length} refreshes on the wire`)
    for (const page of [first, second]) {
      assert.deepEqual(await loadOrders(page), { status: '200', reason: '' })
    }
    await context.close()
  })
})
