/**
 * Debian's Chromium driven by playwright-core, for the browser tests. Never downloads a browser: the
 * executable is /usr/bin/chromium (`apt-get install -y chromium`), started with the flags the machine needs
 * (no sandbox as root, no GPU, no background network: the sandbox has no internet).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** Screenshots and other artefacts of the browser tests. */
export const BROWSER_OUTPUT_DIR = join(new URL('../../', import.meta.url).pathname, 'test-output', 'browser')

/** Whether Chromium is installed; browser suites skip loudly (or fail under TESSERA_REQUIRE_SERVICES) without it. */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false
  const message = `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`
  if (process.env.TESSERA_REQUIRE_SERVICES === '1') throw new Error(message)
  console.warn(`!!! ${message}: browser suites SKIPPED`)
  return message
}

/**
 * Launches headless Chromium.
 *
 * @example
 * const browser = await launchChromium()
 * const page = await (await browser.newContext()).newPage()
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true })
}

/**
 * Saves a full-page screenshot as `test-output/browser/<name>.png`.
 *
 * @example
 * await screenshot(page, 'login')
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(BROWSER_OUTPUT_DIR, { recursive: true })
  const path = join(BROWSER_OUTPUT_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

const axeSource = (): string => {
  const file = join(new URL('../../', import.meta.url).pathname, 'node_modules', 'axe-core', 'axe.min.js')
  return readFileSync(file, 'utf8')
}

/** An accessibility violation axe-core found: the rule, its impact, and how many elements. */
export interface AxeViolation {
  readonly id: string
  readonly impact: string | null
  readonly nodes: number
}

/**
 * Runs axe-core in the page (evaluated over the DevTools protocol, which the page's CSP does not govern, so
 * the check needs no weakening of the policy) against WCAG 2.1 A and AA; resolves the violations.
 *
 * @example
 * assert.deepEqual(await runAxe(page), [])
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource())
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }>
        }
      }
    ).axe
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.length,
    }))
  })
}
