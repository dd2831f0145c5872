import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Clock, RandomSource, ReasonCode } from '@tessera/core'
import * as oidc from 'openid-client'
import type { OidcLoginRecord } from '../../store/oidc-ports.ts'
import type { Store } from '../../store/ports.ts'
import { type OidcFailure, oidcFailure, verifyIdTokenClaims } from './oidc-id-token.ts'
import type { OidcProviders } from './oidc-providers.ts'

/** Ten minutes to sign in at the provider: a login transaction older than that is refused. */
export const OIDC_LOGIN_SECONDS = 600

export interface OidcLoginDeps {
  readonly providers: OidcProviders
  readonly store: Store
  readonly clock: Clock
  readonly random: RandomSource
  /** Tessera's issuer URL: the callback is `{issuer}/v1/oidc/{id}/callback`. */
  readonly issuer: string
  /** Derives each login's PKCE verifier and nonce from its browser cookie (server secret, HKDF). */
  readonly bindingKey: Buffer
}

/** What a start hands back: where to send the browser, and the cookie that binds the login to it. */
export interface StartedOidcLogin {
  readonly authorizationUrl: string
  /** The value of the `__Host-tessera-oidc` cookie (32 random bytes, base64url). */
  readonly browserBinding: string
}

/** An identity the provider asserted and every check accepted. */
export interface VerifiedIdentity {
  readonly issuer: string
  readonly subject: string
  /** The address as the provider sent it; the account layer normalises it. */
  readonly email: string | null
  readonly emailVerified: boolean
  readonly name: string | null
  /** The provider's tokens, only when the provider is configured to keep them. */
  readonly upstreamTokens: { readonly accessToken: string; readonly refreshToken: string | null } | undefined
}

export type CompletedOidcLogin =
  | { readonly ok: true; readonly identity: VerifiedIdentity; readonly login: OidcLoginRecord }
  | OidcFailure

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64url')

/** RFC 7636 §4.1: 43 characters of base64url are a valid verifier with 256 bits in it. */
function derive(key: Buffer, purpose: 'pkce' | 'nonce', browserBinding: string, state: string): string {
  return createHmac('sha256', key)
    .update(`${purpose}\n${browserBinding}\n${state}`, 'utf8')
    .digest('base64url')
}

/**
 * The redirect URI registered at every provider for provider `id`.
 *
 * @example
 * callbackUrlOf('https://auth.example.com', 'google') // 'https://auth.example.com/v1/oidc/google/callback'
 */
export function callbackUrlOf(issuer: string, providerId: string): string {
  return new URL(`v1/oidc/${providerId}/callback`, issuer.endsWith('/') ? issuer : `${issuer}/`).href
}

/**
 * Starts an authorization-code login with PKCE (S256), `state` and `nonce` (RFC 9700 §2.1). The state is
 * random; the PKCE verifier and the nonce are HMACs of the browser cookie and the state, so the database
 * keeps neither — only hashes of the state and of the cookie, the return address and the intent. Whoever
 * completes the login must hold the cookie (login CSRF and code injection, RFC 9700 §4.2, §4.5).
 *
 * @example
 * const { authorizationUrl, browserBinding } = await startOidcLogin(deps, { providerId: 'google',
 *   returnTo: '/account', intent: 'login', userId: null })
 */
export async function startOidcLogin(
  deps: OidcLoginDeps,
  request: {
    readonly providerId: string
    readonly returnTo: string
    readonly intent: 'login' | 'link'
    readonly userId: string | null
  },
): Promise<StartedOidcLogin> {
  const provider = await deps.providers.get(request.providerId)
  const browserBinding = deps.random.bytes(32).toString('base64url')
  const state = deps.random.bytes(32).toString('base64url')
  const now = deps.clock.nowSeconds()
  await deps.store.oidcLogins.create({
    stateHash: sha256(state),
    providerId: request.providerId,
    browserHash: sha256(browserBinding),
    returnTo: request.returnTo,
    intent: request.intent,
    userId: request.userId,
    createdAt: now,
    expiresAt: now + OIDC_LOGIN_SECONDS,
  })
  const codeChallenge = await oidc.calculatePKCECodeChallenge(
    derive(deps.bindingKey, 'pkce', browserBinding, state),
  )
  const url = oidc.buildAuthorizationUrl(provider.client, {
    redirect_uri: callbackUrlOf(deps.issuer, request.providerId),
    scope: provider.settings.scopes.join(' '),
    state,
    nonce: derive(deps.bindingKey, 'nonce', browserBinding, state),
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  })
  return { authorizationUrl: url.href, browserBinding }
}

/**
 * Completes a login at the callback: the state must name an open transaction of this provider, started
 * in this browser (its cookie), unused and under ten minutes old — then it is used up, whatever follows,
 * so a replayed callback fails. The code is exchanged by openid-client (state, RFC 9207 `iss`, PKCE, ID
 * token signature, issuer, audience, expiry, nonce), and the ID token then passes Tessera's own checks
 * (`verifyIdTokenClaims`). Every refusal is an `OidcFailure` with a reason code and a detail.
 *
 * @example
 * const outcome = await completeOidcLogin(deps, { providerId: 'google', callbackUrl, browserBinding })
 */
export async function completeOidcLogin(
  deps: OidcLoginDeps,
  request: {
    readonly providerId: string
    readonly callbackUrl: URL
    readonly browserBinding: string | undefined
  },
): Promise<CompletedOidcLogin> {
  const { callbackUrl } = request
  const state = callbackUrl.searchParams.get('state')
  if (state === null || state === '' || state.length > 512) return oidcFailure('csrf_failed', 'missing_state')
  if (request.browserBinding === undefined) return oidcFailure('csrf_failed', 'missing_browser_cookie')
  const login = await deps.store.oidcLogins.consume(sha256(state), deps.clock.nowSeconds())
  if (login === undefined) return oidcFailure('csrf_failed', 'unknown_expired_or_used_state')
  if (login.providerId !== request.providerId) return oidcFailure('csrf_failed', 'provider_mismatch')
  const presented = Buffer.from(sha256(request.browserBinding))
  const expected = Buffer.from(login.browserHash)
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return oidcFailure('csrf_failed', 'browser_mismatch')
  }
  const providerError = callbackUrl.searchParams.get('error')
  if (providerError !== null) {
    const code = /^[\x20-\x7e]{1,64}$/.test(providerError) ? providerError : 'unreadable'
    return oidcFailure(
      code === 'access_denied' ? 'invalid_credentials' : 'invalid_request',
      `provider_error:${code}`,
    )
  }
  const provider = await deps.providers.get(request.providerId)
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
  try {
    tokens = await oidc.authorizationCodeGrant(provider.client, callbackUrl, {
      pkceCodeVerifier: derive(deps.bindingKey, 'pkce', request.browserBinding, state),
      expectedState: state,
      expectedNonce: derive(deps.bindingKey, 'nonce', request.browserBinding, state),
      idTokenExpected: true,
    })
  } catch (error) {
    return failureOfExchange(error)
  }
  return verifyIdTokenClaims(provider, tokens, login, deps.clock.nowSeconds())
}

interface ErrorFacts {
  readonly code: string
  readonly message: string
  readonly claim: string
}

// openid-client wraps oauth4webapi's error as `cause`, whose own `cause` names the claim. Only codes, fixed
// messages and claim names are read; the claims themselves (email, nonce…) never leave this function.
function factsOf(error: unknown): ErrorFacts {
  const inner = (error as { cause?: unknown }).cause
  const source = typeof inner === 'object' && inner !== null && 'code' in inner ? inner : error
  const details = (source as { cause?: { claim?: unknown } }).cause
  return {
    code: String((source as { code?: unknown }).code ?? ''),
    message: source instanceof Error ? source.message : '',
    claim: typeof details?.claim === 'string' ? details.claim : '',
  }
}

const CLAIM_REASONS: Readonly<Record<string, readonly [ReasonCode, string]>> = {
  iss: ['wrong_issuer', 'id_token_or_response_iss'],
  aud: ['wrong_audience', 'id_token_aud'],
  azp: ['wrong_audience', 'id_token_azp'],
  nonce: ['csrf_failed', 'id_token_nonce'],
}

// openid-client's error codes (oauth4webapi) to SPEC §4 reasons; the detail says which check failed.
function failureOfExchange(error: unknown): OidcFailure {
  const { code, message, claim } = factsOf(error)
  const byClaim = CLAIM_REASONS[claim]
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && byClaim !== undefined) return oidcFailure(...byClaim)
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
    return claim === 'exp'
      ? oidcFailure('expired', 'id_token_exp')
      : oidcFailure('not_yet_valid', 'id_token_timestamps')
  }
  if (code === 'OAUTH_KEY_SELECTION_FAILED') return oidcFailure('unknown_key', 'id_token_kid')
  if (code === 'OAUTH_INVALID_RESPONSE') {
    if (/"alg"/.test(message)) return oidcFailure('unsupported_alg', 'id_token_alg')
    if (/signature/.test(message)) return oidcFailure('bad_signature', 'id_token_signature')
    if (/nonce/.test(message)) return oidcFailure('csrf_failed', 'id_token_nonce')
    if (/"iss"/.test(message)) return oidcFailure('wrong_issuer', 'response_iss')
    return oidcFailure('invalid_request', 'token_response_invalid')
  }
  if (code === 'OAUTH_RESPONSE_BODY_ERROR')
    return oidcFailure('invalid_request', 'token_endpoint_refused_code')
  if (code === 'OAUTH_TIMEOUT' || /timeout|abort|fetch failed|ECONN/i.test(message)) {
    return oidcFailure('rate_limited', 'provider_unreachable')
  }
  return oidcFailure('invalid_request', 'token_response_invalid')
}
