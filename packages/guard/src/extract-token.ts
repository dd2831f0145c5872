import type { IncomingHttpHeaders } from 'node:http'
import { DEFAULT_MAX_TOKEN_LENGTH } from '@tessera/core'
import { GuardError } from './guard-errors.ts'

/** The parts of an HTTP request the token may come from, whatever the framework. */
export interface TokenCarrier {
  readonly headers: IncomingHttpHeaders
  /** node's raw header list: the only place a second `Authorization` line is still visible. */
  readonly rawHeaders?: readonly string[]
  /** The request target, with its query string. */
  readonly url?: string | undefined
  /** A body the framework already parsed, if any. */
  readonly body?: unknown
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Takes the bearer token from its one accepted place, `Authorization: Bearer <b64token>` (the scheme is
 * case-insensitive, RFC 7235 §2.1), and returns `undefined` when no credentials were sent at all.
 *
 * A second source is refused with 400 `invalid_request` rather than ignored, so that no two layers can
 * disagree about which token a request carries: an `access_token` in the query (RFC 6750 §2.3; it also leaks
 * into logs, history and `Referer`) or in a parsed body (§2.2), two `Authorization` lines, another scheme, or
 * a header that is not `Bearer` + one b64token. A token over 8 KiB is `token_too_large`.
 *
 * @example
 * const token = extractBearerToken(request) // 'eyJ…' or undefined
 */
export function extractBearerToken(request: TokenCarrier): string | undefined {
  if (hasQueryToken(request.url)) throw invalidRequest('An access token is not accepted in the query string')
  if (hasBodyToken(request.body)) throw invalidRequest('An access token is not accepted in the request body')
  if (countAuthorizationLines(request.rawHeaders) > 1)
    throw invalidRequest('More than one Authorization header')
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') {
    throw invalidRequest('The Authorization header must be "Bearer <token>"')
  }
  const token = header.slice(space + 1)
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH) throw new GuardError('token_too_large')
  if (!b64token.test(token)) throw invalidRequest('The Authorization header must be "Bearer <token>"')
  return token
}

function invalidRequest(message: string): GuardError {
  return new GuardError('invalid_request', { message })
}

function hasQueryToken(url: string | undefined): boolean {
  if (url === undefined) return false
  const question = url.indexOf('?')
  if (question < 0) return false
  // The name may be percent-encoded (access%5Ftoken); URLSearchParams decodes names as the framework will.
  return new URLSearchParams(url.slice(question + 1)).has('access_token')
}

function hasBodyToken(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token')
}

// node keeps only the first Authorization in `headers`; rawHeaders alternates name, value.
function countAuthorizationLines(rawHeaders: readonly string[] | undefined): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') count++
  }
  return count
}
