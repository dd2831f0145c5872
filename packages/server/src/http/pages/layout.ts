import type { FastifyReply } from 'fastify'
import { type Html, html } from './html.ts'

/**
 * The Content-Security-Policy of every hosted page: scripts and styles only from the auth server's own
 * files (no inline script or style, no eval), fetches only to itself, forms only to itself, no framing, no
 * `<base>` (OWASP CSP cheat sheet, "strict" profile). A reflected injection has nothing to run with.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export interface PageOptions {
  readonly title: string
  /** The page's own script under /assets, if any. */
  readonly script?: string
  readonly body: Html
  readonly status?: number
}

/**
 * Sends a hosted page: the shared shell (language, viewport for phones, one stylesheet, skip link, `main`
 * landmark), the page's script deferred, the strict CSP, and no caching.
 *
 * @example
 * return sendPage(reply, { title: 'Sign in', script: 'login.js', body: html`<h1>Sign in</h1>` })
 */
export function sendPage(reply: FastifyReply, options: PageOptions): FastifyReply {
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Tessera</title>
<link rel="stylesheet" href="/assets/pages.css">
${options.script === undefined ? '' : html`<script type="module" src="/assets/${options.script}"></script>`}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">Tessera</span></header>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>
`
  return reply
    .code(options.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .send(page.toString())
}
