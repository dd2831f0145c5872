/**
 * The stable reason codes of SPEC §4. Every rejection by the server or a guard carries exactly one of these,
 * so clients, logs and tests can switch on a closed set instead of parsing messages.
 */
export type ReasonCode =
  | 'missing_token'
  | 'malformed'
  | 'token_too_large'
  | 'unsupported_alg'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old'
  | 'lifetime_exceeded'
  | 'revoked'
  | 'session_revoked'
  | 'fingerprint_mismatch'
  | 'dpop_invalid'
  | 'uses_exhausted'
  | 'wrong_path'
  | 'insufficient_scope'
  | 'refresh_token_reused'
  | 'refresh_token_expired'
  | 'invalid_refresh_token'
  | 'invalid_credentials'
  | 'csrf_failed'
  | 'rate_limited'
  | 'invalid_request'

/** Every reason code, in SPEC §4 order. Frozen: it is shared by every caller. */
export const REASON_CODES: readonly ReasonCode[] = Object.freeze([
  'missing_token',
  'malformed',
  'token_too_large',
  'unsupported_alg',
  'unknown_key',
  'bad_signature',
  'wrong_type',
  'wrong_issuer',
  'wrong_audience',
  'expired',
  'not_yet_valid',
  'too_old',
  'lifetime_exceeded',
  'revoked',
  'session_revoked',
  'fingerprint_mismatch',
  'dpop_invalid',
  'uses_exhausted',
  'wrong_path',
  'insufficient_scope',
  'refresh_token_reused',
  'refresh_token_expired',
  'invalid_refresh_token',
  'invalid_credentials',
  'csrf_failed',
  'rate_limited',
  'invalid_request',
] as const)

const reasonCodeSet: ReadonlySet<unknown> = new Set<unknown>(REASON_CODES)

/**
 * Tells whether a value is one of the SPEC §4 reason codes (for example a `reason` read back from a response).
 *
 * @example
 * isReasonCode('expired') // true
 * isReasonCode('EXPIRED') // false
 */
export function isReasonCode(value: unknown): value is ReasonCode {
  return reasonCodeSet.has(value)
}
