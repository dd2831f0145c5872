/**
 * A real OpenID Provider (`oidc-provider` 9, panva's certified implementation) on loopback http, as the stand-in
 * for Google / Microsoft in tests of Tessera's "Sign in with …". One confidential client, code flow only, PKCE
 * S256 required, ID tokens signed RS256 with a key generated at start, RFC 9207 `iss` on every authorization
 * response (oidc-provider 9 always adds it for plain `query` responses, errors included).
 *
 * Interaction pages (our own, not oidc-provider's devInteractions: no external fonts, an account check, a cancel
 * button). What a browser test does at the provider:
 *   1. It lands on `/interaction/<uid>`, a page titled "Sign in" with `form#login-form`.
 *   2. It fills `input[name="login"]` (id `login`) with the account's `sub` (what `addAccount` returned) OR its
 *      email (an email shared by several accounts picks the one added last), and clicks `button#sign-in`.
 *      An unknown login shows the same form again with `p#login-error`.
 *      To cancel instead, it clicks `button#cancel` (`form#cancel-form`): the RP gets `error=access_denied`.
 *   3. Nothing else: consent is granted automatically (the consent interaction answers 303 at once), and the
 *      browser is redirected to the relying party's redirect_uri with `code`, `state` and `iss`.
 *   A second sign-in in the same browser context skips step 1–2: the provider keeps its `_session` cookie (as
 *   Google does) unless the RP sends `prompt=login` or the test uses a fresh context.
 * Verified by hand with headless Chromium over CDP (sign-in, unknown login then retry, cancel).
 *
 * Node 20 note: oidc-provider 9 prints "Unsupported runtime" below Node 22 LTS; this fixture's self-test passes on
 * Node 20.20, so that notice and the in-memory adapter notice are dropped (those two only, see `DEV_NOTICES`).
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  escapeHtml,
  handleInteraction,
  type OidcTestAccount,
  type Provider,
} from './oidc-provider-interactions.ts'
import { playUserAgent } from './oidc-user-agent.ts'

export type { OidcTestAccount } from './oidc-provider-interactions.ts'

export interface OidcProviderFixture {
  /** e.g. http://127.0.0.1:PORT — the discovery document is at `${issuer}/.well-known/openid-configuration` */
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Registers an account; returns its `sub`. */
  addAccount(account: OidcTestAccount): string
  /**
   * Plays the user agent without a browser: follows the provider's redirects from `authorizationUrl`, signs in
   * as `sub` (an account's email works too, as on the login page) or cancels with `{ deny: true }`, and returns
   * the first redirect to one of `redirectUris` (with `code`, `state`, `iss`, or `error=access_denied`) without
   * following it. A fresh cookie jar per call, so every call shows the login page. Throws on an unknown login,
   * a provider error page (e.g. an unregistered redirect_uri) or a redirect anywhere else.
   */
  authorize(authorizationUrl: string, sub: string, options?: { deny?: boolean }): Promise<string>
  close(): Promise<void>
}

type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => Provider

// Start-up notices that say "this is a dev setup" — true and intended here. Anything else still prints.
const DEV_NOTICES = ['oidc-provider WARNING: Unsupported runtime', 'development-only in-memory adapter']
const PROVIDER_MODULE: string = 'oidc-provider'
let providerClass: Promise<ProviderClass> | undefined

/**
 * Starts the provider on 127.0.0.1 (`port`, or a free one) with one client allowed to use `redirectUris`.
 *
 * @example
 * const op = await startOidcProvider({ redirectUris: ['http://127.0.0.1:4000/oidc/callback'] })
 * const sub = op.addAccount({ email: 'ada@example.com', emailVerified: true })
 * const redirect = await op.authorize(authorizationUrlBuiltByTheRp, sub) // …/oidc/callback?code=…&state=…&iss=…
 * await op.close()
 */
export async function startOidcProvider(options: {
  redirectUris: readonly string[]
  port?: number
}): Promise<OidcProviderFixture> {
  providerClass ??= importProvider()
  const ProviderConstructor = await providerClass
  const accounts = new Map<string, OidcTestAccount>()
  const clientId = `test-rp-${randomUUID()}`
  const clientSecret = randomBytes(32).toString('base64url')

  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end()
  const server = createServer((req, res) => handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const restoreConsole = silenceDevNotices() // synchronous span: nothing else can print in between
  let provider: Provider
  try {
    provider = new ProviderConstructor(
      issuer,
      providerConfiguration({ ...options, clientId, clientSecret, accounts }),
    )
  } finally {
    restoreConsole()
  }
  const providerHandler = provider.callback()
  handle = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      handleInteraction(provider, accounts, req, res).catch((error: unknown) => {
        // Shown on the page and thrown by `authorize`: a broken interaction must fail the test, loudly.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(
          `interaction failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown'}`,
        )
      })
    } else {
      providerHandler(req, res)
    }
  }

  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (account) => {
      const sub = randomUUID()
      accounts.set(sub, { ...account })
      return sub
    },
    authorize: (authorizationUrl, sub, authorizeOptions) =>
      playUserAgent(authorizationUrl, {
        providerOrigin: issuer,
        redirectUris: options.redirectUris,
        login: sub,
        deny: authorizeOptions?.deny === true,
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

function providerConfiguration(options: {
  redirectUris: readonly string[]
  clientId: string
  clientSecret: string
  accounts: ReadonlyMap<string, OidcTestAccount>
}): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [...options.redirectUris],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // oidc-provider accepts client_secret_post as well for a client registered with _basic (client_auth.js).
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    // What discovery advertises and what Google offers; the default also lists _jwt methods and `none`.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: {
      keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }],
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'], // the code flow only, as the client; the default also allows implicit/hybrid
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Default `true` keeps scope-requested claims out of the ID token whenever an access token is issued
    // (OIDC Core §5.4: they belong at userinfo). Google puts email/email_verified in the ID token; so do we.
    conformIdTokenClaims: false,
    // RFC 9700 §2.1.1 / OAuth 2.1: PKCE for every client, confidential ones too. Only S256 exists in v9.
    pkce: { required: () => true },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = options.accounts.get(sub)
      if (account === undefined) return undefined
      const claims = {
        sub,
        email: account.email,
        email_verified: account.emailVerified,
        ...(account.name === undefined ? {} : { name: account.name }),
      }
      return { accountId: sub, claims: async () => claims }
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Google offers none of these; an RP that needed them would pass here and fail there.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    // Explicit values and functions instead of defaults that print "you SHOULD change it" notices.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    clientBasedCORS: () => false,
    renderError: (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
      ctx.type = 'html'
      ctx.body = `<!doctype html><title>Error</title><h1>Error</h1><pre id="error">${escapeHtml(JSON.stringify(out))}</pre>`
    },
  }
}

/** Loads oidc-provider once per process; its "Unsupported runtime" notice prints at module evaluation. */
async function importProvider(): Promise<ProviderClass> {
  const restoreConsole = silenceDevNotices()
  try {
    const loaded = (await import(PROVIDER_MODULE)) as { default: ProviderClass }
    return loaded.default
  } finally {
    restoreConsole()
  }
}

/** Drops oidc-provider's dev-setup notices (`DEV_NOTICES`) from console.warn/info until the returned undo runs. */
function silenceDevNotices(): () => void {
  const { warn, info } = console
  const filtered =
    (print: (...args: unknown[]) => void) =>
    (...args: unknown[]): void => {
      const first = args[0]
      if (typeof first === 'string' && DEV_NOTICES.some((notice) => first.includes(notice))) return
      print(...args)
    }
  console.warn = filtered(warn)
  console.info = filtered(info)
  return () => {
    console.warn = warn
    console.info = info
  }
}
