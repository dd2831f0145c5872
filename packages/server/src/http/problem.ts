import { isReasonCode, type ReasonCode, TesseraError } from '@tessera/core'

/**
 * The one place where reason codes (SPEC §4) become HTTP: status, OAuth `error`, and whether the response
 * carries a `WWW-Authenticate` challenge (RFC 6750 §3).
 */
export interface Problem {
  readonly status: number
  /** OAuth / RFC 6750 wire code, RFC spelling. */
  readonly error: string
  readonly reason: ReasonCode
  readonly message: string
  /** The request field at fault, for 400s. */
  readonly field?: string
  readonly retryAfterSeconds?: number
  /**
   * The `WWW-Authenticate` scheme of a 401/403 when the credential was a DPoP-bound token (RFC 9449 §7.1);
   * `Bearer` otherwise.
   */
  readonly challengeScheme?: 'DPoP'
}

interface Mapping {
  readonly status: number
  readonly error: string
}

const BEARER_REJECTION: Mapping = { status: 401, error: 'invalid_token' }
const GRANT_REJECTION: Mapping = { status: 401, error: 'invalid_grant' }

const MAPPINGS: Readonly<Record<ReasonCode, Mapping>> = {
  missing_token: BEARER_REJECTION,
  malformed: BEARER_REJECTION,
  token_too_large: BEARER_REJECTION,
  unsupported_alg: BEARER_REJECTION,
  unknown_key: BEARER_REJECTION,
  bad_signature: BEARER_REJECTION,
  wrong_type: BEARER_REJECTION,
  wrong_issuer: BEARER_REJECTION,
  wrong_audience: BEARER_REJECTION,
  expired: BEARER_REJECTION,
  not_yet_valid: BEARER_REJECTION,
  too_old: BEARER_REJECTION,
  lifetime_exceeded: BEARER_REJECTION,
  revoked: BEARER_REJECTION,
  session_revoked: BEARER_REJECTION,
  fingerprint_mismatch: BEARER_REJECTION,
  dpop_invalid: { status: 401, error: 'invalid_dpop_proof' },
  uses_exhausted: BEARER_REJECTION,
  wrong_path: BEARER_REJECTION,
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  // RFC 6749 §5.2 names these invalid_grant; /v1/* answers 401 because the credential itself was refused.
  refresh_token_reused: GRANT_REJECTION,
  refresh_token_expired: GRANT_REJECTION,
  invalid_refresh_token: GRANT_REJECTION,
  invalid_credentials: GRANT_REJECTION,
  csrf_failed: { status: 403, error: 'access_denied' },
  rate_limited: { status: 429, error: 'temporarily_unavailable' },
  invalid_request: { status: 400, error: 'invalid_request' },
}

const DEFAULT_MESSAGES: Readonly<Partial<Record<ReasonCode, string>>> = {
  missing_token: 'authentication is required',
  invalid_credentials: 'the email or password is incorrect',
  invalid_refresh_token: 'the refresh token is not valid',
  refresh_token_reused: 'the refresh token was already used; the session has been ended, sign in again',
  refresh_token_expired: 'the refresh token has expired, sign in again',
  session_revoked: 'the session has ended, sign in again',
  csrf_failed: 'cross-site request refused',
  rate_limited: 'too many attempts, retry later',
}

/**
 * Builds the problem for a reason code, with the standard status and OAuth error.
 *
 * @example
 * sendProblem(reply, problemFor('invalid_request', { field: 'email', message: 'email is required' }))
 */
export function problemFor(
  reason: ReasonCode,
  options: {
    readonly message?: string
    readonly field?: string
    readonly status?: number
    readonly retryAfterSeconds?: number
  } = {},
): Problem {
  const mapping = MAPPINGS[reason]
  return {
    status: options.status ?? mapping.status,
    error: mapping.error,
    reason,
    message: options.message ?? DEFAULT_MESSAGES[reason] ?? reason.replaceAll('_', ' '),
    ...(options.field === undefined ? {} : { field: options.field }),
    ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
  }
}

/**
 * Turns a TesseraError (from core or the domain) into a problem; its message is already safe text.
 *
 * @example
 * if (error instanceof TesseraError) return sendProblem(reply, problemFromError(error))
 */
export function problemFromError(error: TesseraError): Problem {
  return problemFor(error.code, { message: error.message || error.code })
}

/** A thrown problem: route handlers throw it, the error handler sends it. */
export class ProblemError extends Error {
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.message)
    this.name = 'ProblemError'
    this.problem = problem
  }
}

/**
 * Shorthand for `throw new ProblemError(problemFor(…))` in handlers.
 *
 * @example
 * if (!body) throw reject('invalid_request', { field: 'email', message: 'email is required' })
 */
export function reject(reason: ReasonCode, options: Parameters<typeof problemFor>[1] = {}): ProblemError {
  return new ProblemError(problemFor(reason, options))
}

/**
 * Narrows an unknown thrown value to a known problem, or undefined.
 *
 * @example
 * const problem = asProblem(error) ?? problemFor('invalid_request')
 */
export function asProblem(error: unknown): Problem | undefined {
  if (error instanceof ProblemError) return error.problem
  if (error instanceof TesseraError && isReasonCode(error.code)) {
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds
    const problem = problemFromError(error)
    return typeof retryAfter === 'number' ? { ...problem, retryAfterSeconds: retryAfter } : problem
  }
  return undefined
}
