/**
 * One error class per SPEC §4 reason code that concerns an access token or its bindings. Catch by class
 * (`instanceof ExpiredTokenError`) or switch on `error.code`; both are stable.
 */
import { TesseraError, type TesseraErrorOptions } from './errors.ts'

/** `missing_token`: no token was presented at all (RFC 6750 §3.1: no `error` attribute then). */
export class MissingTokenError extends TesseraError {
  static readonly code = 'missing_token'
  declare readonly code: 'missing_token'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('missing_token', message, options)
  }
}

/** `malformed`: the token breaks the strict compact-JWS, JSON or claim-type rules. */
export class MalformedTokenError extends TesseraError {
  static readonly code = 'malformed'
  declare readonly code: 'malformed'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('malformed', message, options)
  }
}

/** `token_too_large`: the token is longer than the configured limit (8 KiB by default). */
export class TokenTooLargeError extends TesseraError {
  static readonly code = 'token_too_large'
  declare readonly code: 'token_too_large'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('token_too_large', message, options)
  }
}

/** `unsupported_alg`: `alg` is `none`, not allowed here, or not the key's own algorithm (RFC 8725 §3.1). */
export class UnsupportedAlgorithmError extends TesseraError {
  static readonly code = 'unsupported_alg'
  declare readonly code: 'unsupported_alg'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('unsupported_alg', message, options)
  }
}

/** `unknown_key`: no verification key matches the token's `kid`. */
export class UnknownKeyError extends TesseraError {
  static readonly code = 'unknown_key'
  declare readonly code: 'unknown_key'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('unknown_key', message, options)
  }
}

/** `bad_signature`: the signature does not verify, or has the wrong length for its algorithm. */
export class BadSignatureError extends TesseraError {
  static readonly code = 'bad_signature'
  declare readonly code: 'bad_signature'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('bad_signature', message, options)
  }
}

/** `wrong_type`: the `typ` header is not `at+jwt` (RFC 9068 §4). */
export class WrongTokenTypeError extends TesseraError {
  static readonly code = 'wrong_type'
  declare readonly code: 'wrong_type'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('wrong_type', message, options)
  }
}

/** `wrong_issuer`: `iss` is not the expected issuer. */
export class WrongIssuerError extends TesseraError {
  static readonly code = 'wrong_issuer'
  declare readonly code: 'wrong_issuer'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('wrong_issuer', message, options)
  }
}

/** `wrong_audience`: `aud` names none of the expected audiences. */
export class WrongAudienceError extends TesseraError {
  static readonly code = 'wrong_audience'
  declare readonly code: 'wrong_audience'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('wrong_audience', message, options)
  }
}

/** `expired`: `exp` plus the leeway has passed. */
export class ExpiredTokenError extends TesseraError {
  static readonly code = 'expired'
  declare readonly code: 'expired'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('expired', message, options)
  }
}

/** `not_yet_valid`: `nbf` or `iat` lies in the future beyond the leeway. */
export class TokenNotYetValidError extends TesseraError {
  static readonly code = 'not_yet_valid'
  declare readonly code: 'not_yet_valid'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('not_yet_valid', message, options)
  }
}

/** `too_old`: the token was issued longer ago than the route's `maxAge`. */
export class TokenTooOldError extends TesseraError {
  static readonly code = 'too_old'
  declare readonly code: 'too_old'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('too_old', message, options)
  }
}

/** `lifetime_exceeded`: `exp - iat` exceeds the configured maximum lifetime. */
export class LifetimeExceededError extends TesseraError {
  static readonly code = 'lifetime_exceeded'
  declare readonly code: 'lifetime_exceeded'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('lifetime_exceeded', message, options)
  }
}

/** `revoked`: the token was issued before its user's not-before time. */
export class RevokedTokenError extends TesseraError {
  static readonly code = 'revoked'
  declare readonly code: 'revoked'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('revoked', message, options)
  }
}

/** `session_revoked`: the session the token belongs to has been revoked. */
export class SessionRevokedError extends TesseraError {
  static readonly code = 'session_revoked'
  declare readonly code: 'session_revoked'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('session_revoked', message, options)
  }
}

/** `fingerprint_mismatch`: the fingerprint cookie does not match the token's `fph`. */
export class FingerprintMismatchError extends TesseraError {
  static readonly code = 'fingerprint_mismatch'
  declare readonly code: 'fingerprint_mismatch'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('fingerprint_mismatch', message, options)
  }
}

/** `dpop_invalid`: the DPoP proof is missing, invalid or not bound to the token (RFC 9449). */
export class InvalidDpopProofError extends TesseraError {
  static readonly code = 'dpop_invalid'
  declare readonly code: 'dpop_invalid'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('dpop_invalid', message, options)
  }
}

/** `uses_exhausted`: the token's `max_uses` have all been consumed. */
export class UsesExhaustedError extends TesseraError {
  static readonly code = 'uses_exhausted'
  declare readonly code: 'uses_exhausted'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('uses_exhausted', message, options)
  }
}

/** `wrong_path`: the token is bound to another request path. */
export class WrongPathError extends TesseraError {
  static readonly code = 'wrong_path'
  declare readonly code: 'wrong_path'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('wrong_path', message, options)
  }
}

/** `insufficient_scope`: the token lacks a scope the route requires (RFC 6750 §3.1, HTTP 403). */
export class InsufficientScopeError extends TesseraError {
  static readonly code = 'insufficient_scope'
  declare readonly code: 'insufficient_scope'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('insufficient_scope', message, options)
  }
}
