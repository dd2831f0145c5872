import {
  type AccessTokenClaims,
  ExpiredTokenError,
  TokenNotYetValidError,
  TokenTooOldError,
  WrongAudienceError,
} from '@tessera/core'
import type { RoutePolicy } from './route-policy.ts'

/**
 * The claim rules that depend on the moment or on the route, re-applied to a cached token on every request.
 * They mirror steps 11–15 of core's `verifyAccessToken`, in the same order and with the same bounds, so a
 * token gets the same reason whether it was verified just now or served from the cache. (Issuer, type,
 * algorithm, lifetime and signature are properties of the token text and cannot change between hits.)
 */
export interface FreshnessOptions {
  readonly leewaySeconds: number
}

/**
 * Throws core's error for the first rule the cached claims now break: audience (`wrong_audience`), `exp`
 * (`expired`), `nbf`/`iat` (`not_yet_valid`), route `maxAge` (`too_old`).
 *
 * @example
 * checkClaimFreshness(entry.auth.claims, policy, { leewaySeconds: 5 }, clock.nowSeconds())
 */
export function checkClaimFreshness(
  claims: AccessTokenClaims,
  policy: RoutePolicy,
  options: FreshnessOptions,
  nowSeconds: number,
): void {
  if (!hasAcceptedAudience(claims.aud, policy.audience)) throw new WrongAudienceError()
  // RFC 7519 §4.1.4: usable only before exp; the leeway absorbs clock skew, as in core.
  if (nowSeconds >= claims.exp + options.leewaySeconds) throw new ExpiredTokenError()
  const notBefore = claims.nbf ?? claims.iat
  if (notBefore > nowSeconds + options.leewaySeconds || claims.iat > nowSeconds + options.leewaySeconds) {
    throw new TokenNotYetValidError()
  }
  if (policy.maxAgeSeconds !== undefined && nowSeconds - claims.iat > policy.maxAgeSeconds) {
    throw new TokenTooOldError()
  }
}

// Exact comparison only: on a string `aud`, `includes` would be a substring test ('orders-api-evil').
function hasAcceptedAudience(
  tokenAudience: string | readonly string[],
  accepted: string | readonly string[],
): boolean {
  if (typeof accepted === 'string') return isListed(tokenAudience, accepted)
  for (const audience of accepted) if (isListed(tokenAudience, audience)) return true
  return false
}

function isListed(tokenAudience: string | readonly string[], audience: string): boolean {
  return typeof tokenAudience === 'string' ? tokenAudience === audience : tokenAudience.includes(audience)
}
