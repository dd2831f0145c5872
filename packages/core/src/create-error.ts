import type { TesseraError, TesseraErrorOptions } from './errors.ts'
import type { ReasonCode } from './reason-codes.ts'
import {
  CsrfFailedError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  InvalidRequestError,
  RateLimitedError,
  RefreshTokenExpiredError,
  RefreshTokenReusedError,
} from './request-errors.ts'
import {
  BadSignatureError,
  ExpiredTokenError,
  FingerprintMismatchError,
  InsufficientScopeError,
  InvalidDpopProofError,
  LifetimeExceededError,
  MalformedTokenError,
  MissingTokenError,
  RevokedTokenError,
  SessionRevokedError,
  TokenNotYetValidError,
  TokenTooLargeError,
  TokenTooOldError,
  UnknownKeyError,
  UnsupportedAlgorithmError,
  UsesExhaustedError,
  WrongAudienceError,
  WrongIssuerError,
  WrongPathError,
  WrongTokenTypeError,
} from './token-errors.ts'

type ErrorClass = new (message?: string, options?: TesseraErrorOptions) => TesseraError

// A mapped type over ReasonCode: adding a code without its class is a compile error here.
const errorClasses: { readonly [C in ReasonCode]: ErrorClass } = {
  missing_token: MissingTokenError,
  malformed: MalformedTokenError,
  token_too_large: TokenTooLargeError,
  unsupported_alg: UnsupportedAlgorithmError,
  unknown_key: UnknownKeyError,
  bad_signature: BadSignatureError,
  wrong_type: WrongTokenTypeError,
  wrong_issuer: WrongIssuerError,
  wrong_audience: WrongAudienceError,
  expired: ExpiredTokenError,
  not_yet_valid: TokenNotYetValidError,
  too_old: TokenTooOldError,
  lifetime_exceeded: LifetimeExceededError,
  revoked: RevokedTokenError,
  session_revoked: SessionRevokedError,
  fingerprint_mismatch: FingerprintMismatchError,
  dpop_invalid: InvalidDpopProofError,
  uses_exhausted: UsesExhaustedError,
  wrong_path: WrongPathError,
  insufficient_scope: InsufficientScopeError,
  refresh_token_reused: RefreshTokenReusedError,
  refresh_token_expired: RefreshTokenExpiredError,
  invalid_refresh_token: InvalidRefreshTokenError,
  invalid_credentials: InvalidCredentialsError,
  csrf_failed: CsrfFailedError,
  rate_limited: RateLimitedError,
  invalid_request: InvalidRequestError,
}

/**
 * Creates the error subclass that belongs to a reason code, for code that decides the reason at run time
 * (a store outcome, a mapped guard result). The message must be safe human text; it defaults per code.
 *
 * @example
 * throw createError('session_revoked', undefined, { cause: storeOutcome })
 */
export function createError(code: ReasonCode, message?: string, options?: TesseraErrorOptions): TesseraError {
  const ErrorForCode = errorClasses[code]
  return new ErrorForCode(message, options)
}
