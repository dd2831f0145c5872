import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { AccessTokenClaims } from '@tessera/core'
import type { DpopPresentation } from './dpop-check.ts'
import { GuardError } from './guard-errors.ts'

/** What a binding check may look at besides the token: the request it arrived on. */
export interface BindingRequest {
  readonly method: string | undefined
  /** The request path as sent, without query string: what a `path` claim is compared to. */
  readonly path: string | undefined
  readonly headers: IncomingHttpHeaders
  /** How the token was presented, for the DPoP check; absent means `Bearer` with no proof. */
  readonly dpop?: DpopPresentation
}

/**
 * A check that ties a token to the request presenting it; it throws a `GuardError` to refuse. The guard
 * runs every check of its list on every request, first sight or cache hit. DPoP (RFC 9449) is not in this
 * list because its replay register is asynchronous: see `dpop-check.ts`, which runs right after these.
 */
export type BindingCheck = (claims: AccessTokenClaims, request: BindingRequest) => void

/**
 * The synchronous binding checks of a guard, in order: path, fingerprint cookie.
 *
 * @example
 * const checks = createBindingChecks({ fingerprintCookie: '__Host-tessera-fgp' })
 * for (const check of checks) check(claims, request)
 */
export function createBindingChecks(options: {
  readonly fingerprintCookie: string
}): readonly BindingCheck[] {
  return Object.freeze([checkPathBinding, createFingerprintCheck(options.fingerprintCookie)])
}

/**
 * A token with a `path` claim (minted by `/v1/tokens` for one request path) is good only on exactly that
 * path, compared as sent, without the query string; no path known (a bare `verifyToken`) is a mismatch.
 *
 * @example
 * checkPathBinding(claims, { method: 'GET', path: '/exports/42', headers: {} })
 */
export function checkPathBinding(claims: AccessTokenClaims, request: BindingRequest): void {
  if (claims.path !== undefined && claims.path !== request.path) throw new GuardError('wrong_path')
}

/**
 * A cookie-bound browser token carries `fph` = base64url(SHA-256(fingerprint cookie)); without the matching
 * `__Host-` cookie a stolen token is useless outside the browser it was issued to (OWASP token sidejacking).
 *
 * @example
 * const check = createFingerprintCheck('__Host-tessera-fgp')
 * check(claims, { method: 'GET', path: '/', headers: { cookie: '__Host-tessera-fgp=…' } })
 */
export function createFingerprintCheck(cookieName: string): BindingCheck {
  return (claims, request) => {
    if (claims.fph === undefined) return
    const value = readSingleCookie(request.headers.cookie, cookieName)
    if (value === undefined || !isFingerprintMatch(claims.fph, value))
      throw new GuardError('fingerprint_mismatch')
  }
}

function isFingerprintMatch(expectedHash: string, cookieValue: string): boolean {
  const actual = Buffer.from(createHash('sha256').update(cookieValue).digest('base64url'))
  const expected = Buffer.from(expectedHash)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function readSingleCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header !== 'string') return undefined
  let found: string | undefined
  for (const part of header.split(';')) {
    const equals = part.indexOf('=')
    if (equals <= 0 || part.slice(0, equals).trim() !== name) continue
    // Two values for the binding cookie means someone planted one (cookie tossing): refuse rather than pick.
    if (found !== undefined)
      throw new GuardError('invalid_request', { message: 'The fingerprint cookie was sent twice' })
    let value = part.slice(equals + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    found = value
  }
  return found
}
