/**
 * oidc-provider 9 as the refresh-rotation benchmark's peer, configured the way its documentation has a user
 * configure it: a static client, `rotateRefreshToken: true`, explicit TTLs (Tessera's: 15 min access tokens,
 * refresh tokens idle 14 days, grants 90 days), `findAccount` reading an accounts table, and a database
 * adapter (./oidc-sqlite-store.ts or ./oidc-postgres-store.ts). Access tokens are opaque and stored, as its
 * defaults give. The ID token that the `openid` scope adds to every refresh response is signed with Ed25519,
 * the algorithm Tessera signs its access tokens with, so each side signs one EdDSA JWT per refresh (the
 * default RS256 would cost oidc-provider a much slower RSA signature).
 *
 * The client is public (`token_endpoint_auth_method: 'none'`, PKCE), like Tessera's first-party client that
 * refreshes without client authentication. Logins go through oidc-provider's interaction API: the interaction
 * route below finishes login and consent for the account named in `login_hint` (a real app would check a
 * password there; this benchmark measures refresh, not login).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OidcStore } from './oidc-adapter.ts'

export const OIDC_CLIENT_ID = 'bench-app'
export const OIDC_REDIRECT_URI = 'https://app.bench.test/callback'

type Listener = (request: IncomingMessage, response: ServerResponse) => void

/** The part of oidc-provider's `Provider` this file uses (the package ships no TypeScript types). */
interface OidcProvider {
  callback(): Listener
  interactionDetails(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ params: Record<string, unknown> }>
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>
  readonly Grant: new (input: {
    accountId: string
    clientId: string
  }) => {
    addOIDCScope(scope: string): void
    save(): Promise<string>
  }
  on(event: string, listener: (...args: unknown[]) => void): void
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider

async function loadProvider(): Promise<ProviderConstructor> {
  // A computed specifier: TypeScript would otherwise look for the types the package does not ship.
  const specifier = 'oidc-provider'
  const loaded: unknown = await import(specifier)
  const exported: unknown =
    typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'default') : null
  if (typeof exported !== 'function') throw new Error('oidc-provider: no default export')
  return exported as ProviderConstructor
}

function configuration(store: OidcStore): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'bench-ed25519',
    alg: 'EdDSA',
    use: 'sig',
  }
  return {
    adapter: (model: string) => store.adapterFor(model),
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [OIDC_REDIRECT_URI],
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: false } },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 900,
      AuthorizationCode: 60,
      IdToken: 900,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: 90 * 86_400,
      RefreshToken: 14 * 86_400,
    },
    findAccount: async (_context: unknown, accountId: string) => {
      const email = await store.findAccount(accountId)
      if (email === undefined) return undefined
      return { accountId, claims: async () => ({ sub: accountId, email }) }
    },
  }
}

// Login and consent in one step for the account in `login_hint`, through the provider's own interaction API.
async function finishInteraction(
  provider: OidcProvider,
  store: OidcStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { params } = await provider.interactionDetails(request, response)
  const accountId = typeof params.login_hint === 'string' ? params.login_hint : ''
  if ((await store.findAccount(accountId)) === undefined) {
    const error = { error: 'access_denied', error_description: 'unknown account' }
    return provider.interactionFinished(request, response, error, { mergeWithLastSubmission: false })
  }
  const grant = new provider.Grant({ accountId, clientId: OIDC_CLIENT_ID })
  grant.addOIDCScope(typeof params.scope === 'string' ? params.scope : 'openid')
  const grantId = await grant.save()
  const result = { login: { accountId }, consent: { grantId } }
  await provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false })
}

/**
 * Starts oidc-provider on an ephemeral loopback port over `store`; its issuer is the listening URL.
 *
 * @example
 * const running = await startOidcProviderServer(openOidcSqliteStore(file))
 * console.log(`${running.url}/token`)
 * await running.close()
 */
export async function startOidcProviderServer(
  store: OidcStore,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  let listener: Listener = (_request, response) => void response.writeHead(503).end()
  const server = createServer((request, response) => listener(request, response))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const Provider = await loadProvider()
  const provider = new Provider(url, configuration(store))
  // A failed refresh is counted by the load generator; an error inside the provider is shown here.
  provider.on('server_error', (_context, error) => console.error('oidc-provider server_error:', error))
  const handle = provider.callback()
  listener = (request, response) => {
    if (!request.url?.startsWith('/interaction/')) return handle(request, response)
    finishInteraction(provider, store, request, response).catch((error: unknown) => {
      console.error('interaction failed:', error)
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  }
  return {
    url,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await store.close()
    },
  }
}
