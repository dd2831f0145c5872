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

/** The scheme a credential came with: `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export type CredentialScheme = 'bearer' | 'dpop'

/** An access token and the `Authorization` scheme it was presented under. */
export interface PresentedCredential {
  readonly token: string
  readonly scheme: CredentialScheme
}

const malformedHeader = 'The Authorization header must be "Bearer <token>" or "DPoP <token>"'

/**
 * Takes the access token from its one accepted place, `Authorization: Bearer <b64token>` or
 * `Authorization: DPoP <b64token>` (RFC 9449 §7.1; the scheme is case-insensitive, RFC 7235 §2.1), and
 * returns `undefined` when no credentials were sent at all.
 *
 * A second source is refused with 400 `invalid_request` rather than ignored, so that no two layers can
 * disagree about which token a request carries: an `access_token` in the query (RFC 6750 §2.3; it also leaks
 * into logs, history and `Referer`) or in a parsed body (§2.2), two `Authorization` lines, another scheme, or
 * a header that is not a scheme + one b64token. A token over 8 KiB is `token_too_large`.
 *
 * @example
 * const credential = extractCredential(request) // { token: 'eyJ…', scheme: 'dpop' } or undefined
 */
export function extractCredential(request: TokenCarrier): PresentedCredential | undefined {
  if (hasQueryToken(request.url)) throw invalidRequest('An access token is not accepted in the query string')
  if (hasBodyToken(request.body)) throw invalidRequest('An access token is not accepted in the request body')
  if (countHeaderLines(request.rawHeaders, 'authorization') > 1)
    throw invalidRequest('More than one Authorization header')
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  const scheme = space < 0 ? undefined : schemeOf(header.slice(0, space))
  if (scheme === undefined) throw invalidRequest(malformedHeader)
  const token = header.slice(space + 1)
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH) throw new GuardError('token_too_large')
  if (!b64token.test(token)) throw invalidRequest(malformedHeader)
  return { token, scheme }
}

/**
 * `extractCredential` without the scheme: the token of a `Bearer` or `DPoP` header, or `undefined`.
 *
 * @example
 * const token = extractBearerToken(request) // 'eyJ…' or undefined
 */
export function extractBearerToken(request: TokenCarrier): string | undefined {
  return extractCredential(request)?.token
}

/**
 * The values of every `name` header line, from node's raw list when there is one (node folds repeated
 * unknown headers into one comma-joined value, which would hide a second `DPoP` line), else from `headers`.
 *
 * @example
 * readHeaderLines(request, 'dpop') // ['eyJ…'] for one DPoP header
 */
export function readHeaderLines(request: TokenCarrier, name: string): readonly string[] {
  const raw = request.rawHeaders
  if (raw === undefined) {
    const value = request.headers[name]
    if (value === undefined) return []
    return Array.isArray(value) ? value : [value]
  }
  const values: string[] = []
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const header = raw[index]
    const value = raw[index + 1]
    if (header !== undefined && value !== undefined && header.toLowerCase() === name) values.push(value)
  }
  return values
}

function schemeOf(text: string): CredentialScheme | undefined {
  const lower = text.toLowerCase()
  return lower === 'bearer' || lower === 'dpop' ? lower : undefined
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
function countHeaderLines(rawHeaders: readonly string[] | undefined, lowerName: string): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]
    if (name !== undefined && name.length === lowerName.length && name.toLowerCase() === lowerName) count++
  }
  return count
}
