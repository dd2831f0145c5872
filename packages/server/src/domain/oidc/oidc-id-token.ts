import type { ReasonCode } from '@tessera/core'
import type * as oidc from 'openid-client'
import type { OidcLoginRecord } from '../../store/oidc-ports.ts'
import type { CompletedOidcLogin } from './oidc-login.ts'
import { expectedIssuerOf, type OidcProvider } from './oidc-providers.ts'

/** A refused upstream login: a SPEC §4 reason, and which check refused it (for the page and the log). */
export interface OidcFailure {
  readonly ok: false
  readonly reason: ReasonCode
  /** A short machine-readable label (`id_token_azp`, `browser_mismatch`, …); never a provider's own text. */
  readonly detail: string
}

/**
 * Builds an `OidcFailure`.
 *
 * @example
 * return oidcFailure('csrf_failed', 'missing_state')
 */
export function oidcFailure(reason: ReasonCode, detail: string): OidcFailure {
  return { ok: false, reason, detail }
}

/** OIDC Core §2: `sub` is at most 255 ASCII characters. */
const SUBJECT = /^[\x21-\x7e]{1,255}$/
const MAX_EMAIL_CHARS = 320
const MAX_NAME_CHARS = 200
/** openid-client's own clock tolerance for `exp` and `nbf` is 30 s; the same for `iat`. */
const IAT_LEEWAY_SECONDS = 30

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers

/**
 * Tessera's own checks on an ID token openid-client has already verified, where the library leaves
 * room (OIDC Core §3.1.3.7, RFC 8725):
 * - the header's `alg` must be one of the provider's advertised asymmetric algorithms (never `none`, never
 *   an HMAC keyed with the client secret);
 * - several audiences require `azp`, and `azp`, when present, must be our client id;
 * - an Entra multi-tenant provider's `iss` must be its template with the token's own `tid` (and an allowed
 *   tenant): a token from tenant A claiming tenant B's issuer is refused;
 * - `iat` may not lie in the future (openid-client only checks that it is a number);
 * - `sub` is a bounded printable string; `email` and `name` are bounded or dropped.
 * The signature itself is verified by openid-client, with `enableNonRepudiationChecks` (oidc-providers.ts).
 *
 * @example
 * const outcome = verifyIdTokenClaims(provider, tokens, login)
 */
export function verifyIdTokenClaims(
  provider: OidcProvider,
  tokens: TokenResponse,
  login: OidcLoginRecord,
  nowSeconds: number,
): CompletedOidcLogin {
  const claims = tokens.claims()
  if (claims === undefined || typeof tokens.id_token !== 'string') {
    return oidcFailure('invalid_request', 'no_id_token')
  }
  const alg = headerAlgorithmOf(tokens.id_token)
  if (alg === undefined || !provider.algorithms.has(alg))
    return oidcFailure('unsupported_alg', 'id_token_alg')
  const clientId = provider.settings.clientId
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.includes(clientId)) return oidcFailure('wrong_audience', 'id_token_aud')
  if (audiences.length > 1 && claims.azp === undefined)
    return oidcFailure('wrong_audience', 'id_token_azp_missing')
  if (claims.azp !== undefined && claims.azp !== clientId)
    return oidcFailure('wrong_audience', 'id_token_azp')
  if (provider.issuerTemplate !== undefined) {
    const expected = expectedIssuerOf(provider.issuerTemplate, { tid: claims.tid }, provider.settings)
    if (expected === undefined || claims.iss !== expected)
      return oidcFailure('wrong_issuer', 'id_token_tenant')
  }
  // openid-client checks only that `iat` is a number: a token "issued" in the future is refused here.
  if (claims.iat > nowSeconds + IAT_LEEWAY_SECONDS) return oidcFailure('not_yet_valid', 'id_token_iat')
  if (typeof claims.sub !== 'string' || !SUBJECT.test(claims.sub)) {
    return oidcFailure('invalid_request', 'id_token_sub')
  }
  const email =
    typeof claims.email === 'string' && claims.email.length <= MAX_EMAIL_CHARS ? claims.email : null
  const name =
    typeof claims.name === 'string' && claims.name.length <= MAX_NAME_CHARS && claims.name.trim() !== ''
      ? claims.name.trim()
      : null
  return {
    ok: true,
    login,
    identity: {
      issuer: claims.iss,
      subject: claims.sub,
      email,
      // Only the boolean true counts: "true" as a string, or an absent claim, is not an assertion.
      emailVerified: email !== null && claims.email_verified === true,
      name,
      upstreamTokens: provider.settings.keepUpstreamTokens
        ? { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? null }
        : undefined,
    },
  }
}

function headerAlgorithmOf(jws: string): string | undefined {
  const [header] = jws.split('.')
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8'))
    const alg = (parsed as { alg?: unknown }).alg
    return typeof alg === 'string' ? alg : undefined
  } catch {
    return undefined
  }
}
