import { type AccessTokenClaims, readAccessTokenClaims } from './access-token-claims.ts'
import { ACCESS_TOKEN_ALGORITHMS, type AccessTokenAlgorithm } from './algorithms.ts'
import type { Clock } from './clock.ts'
import { TesseraError } from './errors.ts'
import { parseCompactJws } from './jws-parse.ts'
import { type KeyResolver, verifyParsedJws } from './jws-verify.ts'
import { parseStrictJsonBytes } from './strict-json.ts'
import {
  ExpiredTokenError,
  LifetimeExceededError,
  TokenNotYetValidError,
  TokenTooOldError,
  UnsupportedAlgorithmError,
  WrongAudienceError,
  WrongIssuerError,
  WrongTokenTypeError,
} from './token-errors.ts'

export interface AccessTokenVerifyOptions {
  /** Finds the key for the token's `kid`; never fetches anything named by the token. */
  readonly keys: KeyResolver
  /** The exact `iss` expected (no normalisation: `https://a/` is not `https://a`). */
  readonly issuer: string
  /** The token's `aud` must contain at least one of these. */
  readonly audience: string | readonly string[]
  /** Upper bound on `exp - iat`, so a leaked signing key cannot mint long-lived tokens unnoticed. */
  readonly maxLifetimeSeconds: number
  /** Clock skew tolerated on `exp`, `nbf` and `iat`. Default 5. */
  readonly leewaySeconds?: number
  readonly clock: Clock
  /** Algorithms accepted. Default both `EdDSA` and `ES256`. */
  readonly algorithms?: readonly AccessTokenAlgorithm[]
  /** Longest accepted token in characters. Default 8192. */
  readonly maxLength?: number
  /** Refuse tokens issued longer ago than this (a route's `maxAge`, measured from `iat`). */
  readonly maxAgeSeconds?: number
}

export type AccessTokenCheck =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly error: TesseraError }

const defaultLeewaySeconds = 5
const accessTokenType = 'at+jwt'

/**
 * Verifies an RFC 9068 access token and returns its claims, or throws the `TesseraError` of the first rule
 * it breaks. The rules run in this order, so every token gets one deterministic reason:
 *  1. length ≤ `maxLength` (`token_too_large`);
 *  2. strict compact-JWS parse (`malformed`, `unsupported_alg` for `none`) — see `parseCompactJws`;
 *  3. header `typ` exactly `at+jwt` (RFC 9068 §4; `wrong_type`), so an ID token or any other JWT signed by
 *     the same key cannot pass as an access token;
 *  4. header `alg` among `algorithms` (`unsupported_alg`);
 *  5. a key for the header's `kid` (`unknown_key`);
 *  6. header `alg` equal to the key's `alg` (`unsupported_alg`);
 *  7. signature (`bad_signature`);
 *  8. payload is fatal-UTF-8 strict JSON forming an object (`malformed`);
 *  9. claim types — see `readAccessTokenClaims` (`malformed`);
 * 10. `iss` equals `issuer` (`wrong_issuer`);
 * 11. `aud` contains one of `audience` (`wrong_audience`);
 * 12. `now ≥ exp + leeway` is `expired`;
 * 13. `nbf` or `iat` later than `now + leeway` is `not_yet_valid`;
 * 14. `exp − iat > maxLifetimeSeconds` is `lifetime_exceeded`;
 * 15. with `maxAgeSeconds`, `now − iat > maxAgeSeconds` is `too_old`.
 * Nothing is cached: each call does the full work, and a valid token costs one `crypto.verify` plus
 * linear-time parsing.
 *
 * @example
 * const claims = verifyAccessToken(token, {
 *   keys: (header) => keysById.get(header.kid ?? ''),
 *   issuer: 'http://localhost:8080',
 *   audience: 'orders-api',
 *   maxLifetimeSeconds: 900,
 *   clock: systemClock,
 * })
 */
export function verifyAccessToken(token: string, options: AccessTokenVerifyOptions): AccessTokenClaims {
  const parsed = parseCompactJws(token, options)
  const { header } = parsed
  if (header.typ !== accessTokenType) throw new WrongTokenTypeError()
  const algorithms: readonly string[] = options.algorithms ?? ACCESS_TOKEN_ALGORITHMS
  if (!algorithms.includes(header.alg)) throw new UnsupportedAlgorithmError()
  verifyParsedJws(parsed, options.keys)
  const claims = readAccessTokenClaims(parseStrictJsonBytes(parsed.payload))
  checkTimelessClaims(claims, options)
  checkTimes(claims, options)
  return claims
}

/**
 * `verifyAccessToken` as a tagged outcome instead of an exception, for callers that branch on the reason
 * (a guard mapping it to a 401). Errors other than `TesseraError` — a throwing key resolver — still throw.
 *
 * @example
 * const check = checkAccessToken(token, options)
 * if (!check.ok) return reply.code(401).send({ reason: check.error.code })
 */
export function checkAccessToken(token: string, options: AccessTokenVerifyOptions): AccessTokenCheck {
  try {
    return { ok: true, claims: verifyAccessToken(token, options) }
  } catch (error) {
    if (error instanceof TesseraError) return { ok: false, error }
    throw error
  }
}

function checkTimelessClaims(claims: AccessTokenClaims, options: AccessTokenVerifyOptions): void {
  if (claims.iss !== options.issuer) throw new WrongIssuerError()
  if (!hasAcceptedAudience(claims.aud, options.audience)) throw new WrongAudienceError()
}

function hasAcceptedAudience(
  tokenAudience: string | readonly string[],
  accepted: string | readonly string[],
): boolean {
  if (typeof accepted === 'string') return isAudienceListed(tokenAudience, accepted)
  for (const audience of accepted) {
    if (isAudienceListed(tokenAudience, audience)) return true
  }
  return false
}

// Exact comparison only: on a string `aud`, `includes` would be a substring test ('orders-api-evil').
function isAudienceListed(tokenAudience: string | readonly string[], audience: string): boolean {
  return typeof tokenAudience === 'string' ? tokenAudience === audience : tokenAudience.includes(audience)
}

function checkTimes(claims: AccessTokenClaims, options: AccessTokenVerifyOptions): void {
  const nowSeconds = options.clock.nowSeconds()
  const leewaySeconds = options.leewaySeconds ?? defaultLeewaySeconds
  // RFC 7519 §4.1.4: the token must be used *before* exp; the leeway only absorbs clock skew.
  if (nowSeconds >= claims.exp + leewaySeconds) throw new ExpiredTokenError()
  const notBefore = claims.nbf ?? claims.iat
  if (notBefore > nowSeconds + leewaySeconds || claims.iat > nowSeconds + leewaySeconds) {
    throw new TokenNotYetValidError()
  }
  if (claims.exp - claims.iat > options.maxLifetimeSeconds) throw new LifetimeExceededError()
  if (options.maxAgeSeconds !== undefined && nowSeconds - claims.iat > options.maxAgeSeconds) {
    throw new TokenTooOldError()
  }
}
