/**
 * The reason codes of the Tessera contract (SPEC §4), repeated here because the client depends on no other
 * Tessera package: a browser bundle must not pull in the server's or core's code.
 */
export const REASON_CODES = [
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
] as const

/** A SPEC §4 reason code. */
export type ReasonCode = (typeof REASON_CODES)[number]

/**
 * Why a client call failed: a SPEC §4 code from the server, `network` when no usable answer came back
 * (connection refused, timeout, a 5xx without a reason), `closed` after `client.close()`, or
 * `dpop_downgraded` when a client in DPoP mode sent a proof and the issuer answered with a `Bearer` token
 * anyway (a server without DPoP support, or one that dropped the binding): the client refuses to hold an
 * unbound token it was configured not to have (RFC 9449 §5).
 */
export type ClientFailureReason = ReasonCode | 'network' | 'closed' | 'dpop_downgraded'

/**
 * Refusals after which the session cannot be refreshed any more: the user must sign in again. The client
 * reports them with the `session-ended` event. `missing_token` is the cookie-mode case of a refresh cookie
 * that is gone (the browser dropped it at its Max-Age, or the user cleared cookies).
 *
 * The client decides on the `reason`, never on the OAuth `error` (`invalid_grant` comes with several
 * reasons). `dpop_invalid` is deliberately not here: the server gives it both to a proof it cannot accept
 * (`invalid_dpop_proof`, e.g. an `iat` outside its window because this machine's clock is off) and to a
 * refresh with the wrong key (`invalid_grant`). The first says nothing about the session, whose refresh
 * token stays good; the second cannot happen to a client that keeps one key for its lifetime. So a refresh
 * refused with `dpop_invalid` rejects (not retryable) and ends nothing.
 */
export const SESSION_ENDING_REASONS = [
  'session_revoked',
  'refresh_token_reused',
  'refresh_token_expired',
  'invalid_refresh_token',
  'revoked',
  'missing_token',
] as const

/** One of {@link SESSION_ENDING_REASONS}. */
export type SessionEndReason = (typeof SESSION_ENDING_REASONS)[number]

const REASON_SET: ReadonlySet<string> = new Set(REASON_CODES)
const SESSION_ENDING_SET: ReadonlySet<string> = new Set(SESSION_ENDING_REASONS)

/**
 * Narrows an untrusted value (a response body member, a header parameter) to a SPEC §4 code.
 *
 * @example
 * isReasonCode('expired') // true
 */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && REASON_SET.has(value)
}

/**
 * Whether a refusal means "the user must sign in again" rather than "try later".
 *
 * @example
 * isSessionEndReason('refresh_token_reused') // true
 */
export function isSessionEndReason(value: unknown): value is SessionEndReason {
  return typeof value === 'string' && SESSION_ENDING_SET.has(value)
}

/**
 * The one error the client rejects with. `retryable` is true for failures that say nothing about the
 * session (network, timeouts, 5xx, 429): the caller may try again later, no event was fired. The message
 * never contains a token, a password or a server-provided text.
 *
 * @example
 * try {
 *   await client.signIn({ email, password })
 * } catch (error) {
 *   if (error instanceof TesseraClientError && error.reason === 'invalid_credentials') showWrongPassword()
 * }
 */
export class TesseraClientError extends Error {
  override readonly name = 'TesseraClientError'
  readonly reason: ClientFailureReason
  /** The HTTP status of the refusal; `undefined` when no response arrived. */
  readonly status: number | undefined
  readonly retryable: boolean

  constructor(
    reason: ClientFailureReason,
    details: { readonly status?: number; readonly retryable?: boolean; readonly cause?: unknown } = {},
  ) {
    super(
      details.status === undefined ? `tessera: ${reason}` : `tessera: ${reason} (${details.status})`,
      details.cause === undefined ? undefined : { cause: details.cause },
    )
    this.reason = reason
    this.status = details.status
    this.retryable = details.retryable ?? false
  }
}
