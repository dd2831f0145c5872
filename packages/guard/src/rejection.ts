import type { ReasonCode } from '@tessera/core'
import type { GuardError } from './guard-errors.ts'

/**
 * The one module that turns a refusal into HTTP (STYLE.md: one mapping module per side): status, the OAuth
 * `error` code, the RFC 6750 §3 challenge and the JSON body. All three adapters render through it, so a
 * reason looks the same behind Express, Fastify and node:http.
 */
export interface HttpMapping {
  readonly status: number
  /** OAuth / RFC 6750 wire code, RFC spelling. */
  readonly error: string
}

/** A rendered refusal: what an adapter writes to the response. */
export interface Rejection {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: { readonly error: string; readonly reason: ReasonCode; readonly message: string }
}

const invalidToken: HttpMapping = { status: 401, error: 'invalid_token' }
const invalidRequest: HttpMapping = { status: 400, error: 'invalid_request' }
const unavailable: HttpMapping = { status: 503, error: 'temporarily_unavailable' }
// RFC 9449 §7.1 / §12.2: a missing, broken or replayed proof is `invalid_dpop_proof`, still a 401.
const invalidDpopProof: HttpMapping = { status: 401, error: 'invalid_dpop_proof' }

// RFC 6750 §3.1: a token fault is 401 invalid_token, a missing privilege 403 insufficient_scope, a broken
// request 400 invalid_request. The reasons a guard never produces map to invalid_token, the safe default.
const mappings: Readonly<Partial<Record<ReasonCode, HttpMapping>>> = {
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  invalid_request: invalidRequest,
  rate_limited: { status: 429, error: 'temporarily_unavailable' },
}

/**
 * The status and OAuth `error` of a reason; `isUnavailable` (the guard could not decide) makes it 503
 * `temporarily_unavailable` whatever the reason, and a DPoP proof fault is 401 `invalid_dpop_proof`.
 *
 * @example
 * httpMappingFor('insufficient_scope', false) // { status: 403, error: 'insufficient_scope' }
 */
export function httpMappingFor(
  reason: ReasonCode,
  isUnavailable: boolean,
  isDpopProofFault = false,
): HttpMapping {
  if (isUnavailable) return unavailable
  if (isDpopProofFault) return invalidDpopProof
  return mappings[reason] ?? invalidToken
}

const defaultDpopAlgorithms: readonly string[] = Object.freeze(['EdDSA', 'ES256'])

// RFC 7235 §2.1 quoted-string. Our values are fixed codes and validated scopes; escaping keeps it so anyway.
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`
}

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750 §3): no `error` attribute when no credentials were
 * sent at all (`missing_token`, §3.1 last paragraph), otherwise `error` and `error_description` = the SPEC §4
 * reason, plus `scope` for `insufficient_scope`.
 *
 * @example
 * bearerChallenge(new GuardError('expired'), 'tessera')
 * // 'Bearer realm="tessera", error="invalid_token", error_description="expired"'
 */
export function bearerChallenge(error: GuardError, realm: string): string {
  if (error.reason === 'missing_token') return `Bearer realm=${quote(realm)}`
  const attributes = [
    `realm=${quote(realm)}`,
    `error=${quote(error.oauthError)}`,
    `error_description=${quote(error.reason)}`,
  ]
  if (error.requiredScopes !== undefined && error.requiredScopes.length > 0) {
    attributes.push(`scope=${quote(error.requiredScopes.join(' '))}`)
  }
  return `Bearer ${attributes.join(', ')}`
}

/**
 * The `WWW-Authenticate` value for a refusal of a credential sent under the `DPoP` scheme (RFC 9449 §7.1):
 * the Bearer challenge's attributes under `DPoP`, plus `algs`, the proof algorithms this guard accepts.
 *
 * @example
 * dpopChallenge(error, 'tessera', ['EdDSA', 'ES256'])
 * // 'DPoP realm="tessera", error="invalid_dpop_proof", error_description="dpop_invalid", algs="EdDSA ES256"'
 */
export function dpopChallenge(error: GuardError, realm: string, algorithms: readonly string[]): string {
  const bearer = bearerChallenge(error, realm)
  return `DPoP${bearer.slice('Bearer'.length)}, algs=${quote(algorithms.join(' '))}`
}

/**
 * Renders a refusal as status, headers and body `{error, reason, message}`. 4xx answers carry the Bearer
 * challenge, or the DPoP one (with `algs` = `dpopAlgorithms`) when the credential came as `DPoP`; a 503
 * carries `Retry-After` instead, since no credential was judged. Every answer is `no-store`.
 *
 * @example
 * const { status, headers, body } = renderRejection(error, 'tessera')
 * response.writeHead(status, headers).end(JSON.stringify(body))
 */
export function renderRejection(
  error: GuardError,
  realm: string,
  dpopAlgorithms: readonly string[] = defaultDpopAlgorithms,
): Rejection {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)))
  } else {
    headers['www-authenticate'] =
      error.scheme === 'DPoP' ? dpopChallenge(error, realm, dpopAlgorithms) : bearerChallenge(error, realm)
  }
  return {
    status: error.status,
    headers,
    body: { error: error.oauthError, reason: error.reason, message: error.message },
  }
}
