import { isJsonObject } from './strict-json.ts'
import { MalformedTokenError } from './token-errors.ts'

/**
 * The claims of a Tessera access token: the RFC 9068 profile (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
 * `client_id`, optional `scope`) plus Tessera's session id and binding claims (SPEC §2). Other claims are
 * carried through untouched.
 */
export interface AccessTokenClaims {
  readonly iss: string
  readonly sub: string
  readonly aud: string | readonly string[]
  /** Expiry, epoch seconds. */
  readonly exp: number
  /** Issue time, epoch seconds. */
  readonly iat: number
  /** Not-before, epoch seconds. */
  readonly nbf?: number
  readonly jti: string
  readonly client_id: string
  /** Session id; absent for client-credentials tokens. */
  readonly sid?: string
  /** Space-separated scopes (RFC 9068 §2.2.3). */
  readonly scope?: string
  /** base64url(SHA-256(fingerprint cookie value)), for cookie-bound browser tokens. */
  readonly fph?: string
  /** Confirmation claim (RFC 7800); `jkt` is the DPoP key thumbprint (RFC 9449 §6.1). */
  readonly cnf?: { readonly jkt?: string }
  readonly max_uses?: number
  /** The one request path the token is bound to. */
  readonly path?: string
  readonly [claim: string]: unknown
}

/**
 * Checks the type of every claim Tessera relies on and returns the payload as `AccessTokenClaims`, or throws
 * `malformed` naming the claim. Dates must be safe non-negative integers: `1e400` (Infinity), `1.5`,
 * `"123"` and `-1` are all refused rather than coerced, because a date that compares oddly is a date an
 * attacker can pick (RFC 7519 §2 NumericDate; RFC 8725 §3.10).
 *
 * @example
 * const claims = readAccessTokenClaims(parseStrictJsonBytes(jws.payload))
 */
export function readAccessTokenClaims(payload: unknown): AccessTokenClaims {
  if (!isJsonObject(payload)) throw new MalformedTokenError('The token payload is not a JSON object')
  const { iss, sub, aud, exp, iat, nbf, jti, client_id, sid, scope, fph, cnf, max_uses, path } = payload
  if (!isNonEmptyString(iss)) throw invalidClaim('iss')
  if (!isNonEmptyString(sub)) throw invalidClaim('sub')
  if (!isAudience(aud)) throw invalidClaim('aud')
  if (!isNumericDate(exp)) throw invalidClaim('exp')
  if (!isNumericDate(iat)) throw invalidClaim('iat')
  if (nbf !== undefined && !isNumericDate(nbf)) throw invalidClaim('nbf')
  if (!isNonEmptyString(jti)) throw invalidClaim('jti')
  if (!isNonEmptyString(client_id)) throw invalidClaim('client_id')
  if (sid !== undefined && typeof sid !== 'string') throw invalidClaim('sid')
  if (scope !== undefined && typeof scope !== 'string') throw invalidClaim('scope')
  if (fph !== undefined && typeof fph !== 'string') throw invalidClaim('fph')
  if (cnf !== undefined && !isConfirmation(cnf)) throw invalidClaim('cnf')
  if (max_uses !== undefined && !(Number.isSafeInteger(max_uses) && (max_uses as number) > 0)) {
    throw invalidClaim('max_uses')
  }
  if (path !== undefined && !(typeof path === 'string' && path.startsWith('/'))) throw invalidClaim('path')
  return payload as AccessTokenClaims
}

function invalidClaim(name: string): MalformedTokenError {
  return new MalformedTokenError(`The token claim ${name} is missing or invalid`)
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

function isNumericDate(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isAudience(value: unknown): value is string | readonly string[] {
  if (typeof value === 'string') return value.length > 0
  return Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString)
}

function isConfirmation(value: unknown): boolean {
  return isJsonObject(value) && (value.jkt === undefined || typeof value.jkt === 'string')
}
