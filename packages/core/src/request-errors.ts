/**
 * One error class per SPEC §4 reason code that concerns refresh tokens, credentials and requests rather than
 * an access token. Core defines them so that the server and the guard share one closed set of failures.
 */
import { TesseraError, type TesseraErrorOptions } from './errors.ts'

/** `refresh_token_reused`: a rotated refresh token came back after its grace window (RFC 9700 §4.14.2). */
export class RefreshTokenReusedError extends TesseraError {
  static readonly code = 'refresh_token_reused'
  declare readonly code: 'refresh_token_reused'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('refresh_token_reused', message, options)
  }
}

/** `refresh_token_expired`: the refresh token passed its idle or absolute lifetime. */
export class RefreshTokenExpiredError extends TesseraError {
  static readonly code = 'refresh_token_expired'
  declare readonly code: 'refresh_token_expired'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('refresh_token_expired', message, options)
  }
}

/** `invalid_refresh_token`: the refresh token is unknown, forged or malformed. */
export class InvalidRefreshTokenError extends TesseraError {
  static readonly code = 'invalid_refresh_token'
  declare readonly code: 'invalid_refresh_token'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('invalid_refresh_token', message, options)
  }
}

/** `invalid_credentials`: the email/password pair or the client credentials are wrong. */
export class InvalidCredentialsError extends TesseraError {
  static readonly code = 'invalid_credentials'
  declare readonly code: 'invalid_credentials'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('invalid_credentials', message, options)
  }
}

/** `csrf_failed`: a cookie-authenticated write lacks an allowed `Origin` or the CSRF header. */
export class CsrfFailedError extends TesseraError {
  static readonly code = 'csrf_failed'
  declare readonly code: 'csrf_failed'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('csrf_failed', message, options)
  }
}

/** `rate_limited`: the caller exceeded a throttle. */
export class RateLimitedError extends TesseraError {
  static readonly code = 'rate_limited'
  declare readonly code: 'rate_limited'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('rate_limited', message, options)
  }
}

/** `invalid_request`: the request body or parameters break the API contract. */
export class InvalidRequestError extends TesseraError {
  static readonly code = 'invalid_request'
  declare readonly code: 'invalid_request'

  constructor(message?: string, options?: TesseraErrorOptions) {
    super('invalid_request', message, options)
  }
}
