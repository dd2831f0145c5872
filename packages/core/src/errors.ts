import type { ReasonCode } from './reason-codes.ts'

/** Options accepted by every Tessera error: the underlying failure, kept for debugging, never shown. */
export interface TesseraErrorOptions {
  readonly cause?: unknown
}

// Safe human text only: a message never carries a token, a secret or a library's own message (SPEC §3).
const defaultMessages: { readonly [C in ReasonCode]: string } = {
  missing_token: 'No token was presented',
  malformed: 'The token is malformed',
  token_too_large: 'The token is too large',
  unsupported_alg: 'The token algorithm is not accepted',
  unknown_key: 'The token was signed with an unknown key',
  bad_signature: 'The token signature is invalid',
  wrong_type: 'The token has the wrong type',
  wrong_issuer: 'The token was issued by another issuer',
  wrong_audience: 'The token is not meant for this audience',
  expired: 'The token has expired',
  not_yet_valid: 'The token is not valid yet',
  too_old: 'The token is older than this resource allows',
  lifetime_exceeded: 'The token lifetime exceeds the allowed maximum',
  revoked: 'The token has been revoked',
  session_revoked: 'The session of the token has been revoked',
  fingerprint_mismatch: 'The token is bound to another browser',
  dpop_invalid: 'The DPoP proof is invalid',
  uses_exhausted: 'The token has no uses left',
  wrong_path: 'The token is bound to another path',
  insufficient_scope: 'The token lacks the required scope',
  refresh_token_reused: 'The refresh token was already used',
  refresh_token_expired: 'The refresh token has expired',
  invalid_refresh_token: 'The refresh token is invalid',
  invalid_credentials: 'The credentials are invalid',
  csrf_failed: 'The request failed the CSRF check',
  rate_limited: 'Too many requests',
  invalid_request: 'The request is invalid',
}

/**
 * Base class of every Tessera failure, in the manner of jose's `JOSEError`: one subclass per SPEC §4 reason
 * code (see `token-errors.ts` and `request-errors.ts`), each with a static and an instance `code`. Core knows
 * nothing about HTTP; the server and the guard map `code` to a status and an OAuth `error`.
 *
 * `message` is safe human text and defaults to a fixed sentence per code.
 *
 * @example
 * try {
 *   verifyAccessToken(token, options)
 * } catch (error) {
 *   if (error instanceof TesseraError) console.log(error.code) // 'expired'
 * }
 */
export class TesseraError extends Error {
  readonly code: ReasonCode

  constructor(code: ReasonCode, message?: string, options?: TesseraErrorOptions) {
    super(message ?? defaultMessages[code], options)
    this.code = code
    this.name = new.target.name
  }
}
