import { readFileSync } from 'node:fs'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { resolveReturnTo } from '../../domain/oidc/return-to.ts'
import type { AppContext } from '../app-context.ts'
import { html } from '../pages/html.ts'
import { sendPage } from '../pages/layout.ts'

/** The files under /assets: a fixed list read once at startup, so no request can name another file. */
const ASSETS: Readonly<Record<string, string>> = {
  'pages.css': 'text/css; charset=utf-8',
  'tessera-page.js': 'text/javascript; charset=utf-8',
  'login.js': 'text/javascript; charset=utf-8',
  'signup.js': 'text/javascript; charset=utf-8',
  'account.js': 'text/javascript; charset=utf-8',
}

function loadAssets(): ReadonlyMap<string, { readonly type: string; readonly body: Buffer }> {
  const directory = new URL('../pages/assets/', import.meta.url)
  return new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(new URL(name, directory)) },
    ]),
  )
}

/** Pages are for people: left out of /openapi.json. */
const NOT_API = { config: { openapi: false } } as const

const LoginQuery = Type.Object(
  { return_to: Type.Optional(Type.String({ maxLength: 2048 })) },
  { additionalProperties: false },
)

/**
 * The hosted pages (SPEC §3): sign in (password and provider buttons), sign up, and the account page
 * (devices, sign out one or everywhere, change password, linked providers); `/` sends to the account page,
 * which sends to sign-in when nobody is. The pages are HTML shells whose scripts call the JSON API from
 * the auth server's own origin — so every write goes through the API's Origin and CSRF checks, login CSRF
 * included (a cross-site page cannot call /v1/login with an allowed Origin) — and keep the access token in
 * memory only. Everything a page shows about the user is set with `textContent`, never as markup.
 *
 * @example
 * registerPageRoutes(app, ctx)
 */
export function registerPageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const assets = loadAssets()
  const { config } = ctx

  app.get('/', NOT_API, async (_request, reply) => reply.redirect('/account', 303))

  app.get(
    '/assets/:name',
    { ...NOT_API, schema: { params: Type.Object({ name: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      const asset = assets.get((request.params as { name: string }).name)
      if (asset === undefined) return reply.code(404).header('content-type', 'text/plain').send('not found')
      return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(asset.body)
    },
  )

  app.get('/login', { ...NOT_API, schema: { querystring: LoginQuery } }, async (request, reply) => {
    const requested = (request.query as { return_to?: string }).return_to
    // Only a path on this server is carried through; anything else falls back rather than redirecting away.
    const returnTo =
      requested?.startsWith('/') &&
      resolveReturnTo(requested, { issuer: config.issuer, allowedOrigins: [] }) !== undefined
        ? requested
        : '/account'
    const providers = ctx.oidc.providers.list()
    const buttons = providers.map(
      (provider) =>
        html`<li><a class="button" href="/v1/oidc/${provider.id}/start?return_to=${encodeURIComponent(returnTo)}">Sign in with ${provider.name}</a></li>`,
    )
    return sendPage(reply, {
      title: 'Sign in',
      script: 'login.js',
      body: html`<h1>Sign in</h1>
${providers.length === 0 ? '' : html`<ul class="providers" aria-label="Sign in with a provider">${buttons}</ul><p class="or">or with your email</p>`}
<form id="login-form" novalidate>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p id="status" class="status" role="status" aria-live="polite"></p>
</form>
<p>No account yet? <a href="/signup">Create one</a>.</p>`,
    })
  })

  app.get('/signup', NOT_API, async (_request, reply) =>
    sendPage(reply, {
      title: 'Create an account',
      script: 'signup.js',
      body: html`<h1>Create an account</h1>
<form id="signup-form" novalidate>
<label for="name">Name <span class="hint">(optional)</span></label>
<input id="name" name="name" type="text" autocomplete="name" maxlength="200">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${config.passwords.minLength}" aria-describedby="password-hint" required>
<p id="password-hint" class="hint">At least ${config.passwords.minLength} characters. A long phrase is best.</p>
<button type="submit">Create account</button>
<p id="status" class="status" role="status" aria-live="polite"></p>
</form>
<p>Already have an account? <a href="/login">Sign in</a>.</p>`,
    }),
  )

  app.get('/account', NOT_API, async (_request, reply) =>
    sendPage(reply, {
      title: 'Your account',
      script: 'account.js',
      body: html`<h1>Your account</h1>
<p>Signed in as <strong id="who">…</strong></p>
<p id="status" class="status" role="status" aria-live="polite"></p>
<h2 id="devices-heading">Your devices</h2>
<ul id="devices" class="devices" aria-labelledby="devices-heading"></ul>
<button id="sign-out" type="button" class="secondary">Sign out</button>
<button id="sign-out-everywhere" type="button" class="danger">Sign out everywhere</button>
<h2 id="identities-heading">Linked providers</h2>
<ul id="identities" aria-labelledby="identities-heading"></ul>
<h2>Change password</h2>
<form id="password-form" novalidate>
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required>
<label for="next">New password</label>
<input id="next" name="next" type="password" autocomplete="new-password" minlength="${config.passwords.minLength}" required>
<button type="submit">Change password</button>
</form>`,
    }),
  )
}
