/**
 * One OIDC login played through openid-client (a real relying-party library) against the hostile provider, the
 * test standing in for the browser, with the raw token response captured so a test can inspect what was sent.
 */
import * as client from 'openid-client'
import type { HostileProvider } from './hostile-oidc-provider.ts'
import { type DecodedJws, decodeJws } from './hostile-oidc-tokens.ts'

/** What happened in one login, whether openid-client accepted it or not. */
export interface OpenidClientLogin {
  readonly nonce: string
  readonly verifier: string
  /** The authorization response (the provider's redirect), after `editRedirect`. */
  readonly redirect: URL
  /** The token endpoint's answer; `undefined` when openid-client never got one. */
  readonly tokenStatus: number | undefined
  readonly tokenHeaders: Headers | undefined
  readonly tokenBody: Record<string, unknown> | undefined
  readonly idToken: DecodedJws | undefined
  readonly outcome: { accepted: true; claims: Record<string, unknown> } | { accepted: false; error: unknown }
}

export interface LoginOptions {
  readonly redirectUri: string
  /** Turns on openid-client's opt-in ID token signature check (`enableNonRepudiationChecks`). */
  readonly nonRepudiation: boolean
  readonly basicAuth?: boolean
  readonly timeoutSeconds?: number
  readonly authorizeOptions?: Parameters<HostileProvider['authorize']>[1]
  readonly editRedirect?: (redirect: URL) => void
}

/**
 * Runs discovery, the authorization request (PKCE S256, state, nonce), `op.authorize` and the code grant.
 *
 * @example
 * const login = await loginWithOpenidClient(op, { redirectUri, nonRepudiation: true })
 * assert.equal(login.outcome.accepted, true)
 */
export async function loginWithOpenidClient(
  op: HostileProvider,
  options: LoginOptions,
): Promise<OpenidClientLogin> {
  const auth = options.basicAuth === true ? client.ClientSecretBasic(op.clientSecret) : undefined
  const config = await client.discovery(new URL(op.issuer), op.clientId, op.clientSecret, auth, {
    execute: [client.allowInsecureRequests],
  })
  if (options.nonRepudiation) client.enableNonRepudiationChecks(config)
  if (options.timeoutSeconds !== undefined) config.timeout = options.timeoutSeconds
  let captured: { status: number; headers: Headers; body: Record<string, unknown> } | undefined
  config[client.customFetch] = async (url, init) => {
    const { body = null, signal = null, method, headers, redirect } = init
    const response = await fetch(url, { body, signal, method, headers, redirect })
    if (new URL(url).pathname === '/token') {
      const json = (await response.clone().json()) as Record<string, unknown>
      captured = { status: response.status, headers: response.headers, body: json }
    }
    return response
  }
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: 'openid email',
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  const redirect = new URL(op.authorize(authorizationUrl.href, options.authorizeOptions))
  options.editRedirect?.(redirect)
  let outcome: OpenidClientLogin['outcome']
  try {
    const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }
    const tokens = await client.authorizationCodeGrant(config, redirect, checks)
    outcome = { accepted: true, claims: { ...tokens.claims() } }
  } catch (error) {
    outcome = { accepted: false, error }
  }
  const idToken = captured?.body.id_token
  return {
    nonce,
    verifier,
    redirect,
    tokenStatus: captured?.status,
    tokenHeaders: captured?.headers,
    tokenBody: captured?.body,
    idToken: typeof idToken === 'string' ? decodeJws(idToken) : undefined,
    outcome,
  }
}
