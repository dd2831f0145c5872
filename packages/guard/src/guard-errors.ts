import { type ReasonCode, TesseraError } from '@tessera/core'
import { httpMappingFor } from './rejection.ts'

export interface GuardErrorOptions {
  /** Safe human text; defaults to core's sentence for the reason. Never a token, cookie or library message. */
  readonly message?: string
  readonly cause?: unknown
  /** The scopes the route needed, for the RFC 6750 §3 `scope` attribute of an `insufficient_scope` challenge. */
  readonly requiredScopes?: readonly string[]
  /**
   * The guard could not decide (keys, revocation feed or use counter unreachable): answer 503
   * `temporarily_unavailable` with `Retry-After` instead of the reason's usual status.
   */
  readonly retryAfterSeconds?: number
  /**
   * The `Authorization` scheme the refused credential came with; `DPoP` makes the challenge a DPoP one
   * (RFC 9449 §7.1). Default `Bearer`.
   */
  readonly scheme?: ChallengeScheme
  /** The DPoP proof (missing, broken, replayed), not the token, is at fault: OAuth `invalid_dpop_proof`. */
  readonly isDpopProofFault?: boolean
}

/** The auth scheme of a `WWW-Authenticate` challenge. */
export type ChallengeScheme = 'Bearer' | 'DPoP'

/**
 * A request the guard refuses. `reason` is a SPEC §4 code, `status` and `oauthError` its HTTP form (see
 * `rejection.ts`, the one place that maps them). Extends core's `TesseraError`, so `code === reason`.
 *
 * @example
 * try {
 *   await guard.verifyToken(token)
 * } catch (error) {
 *   if (error instanceof GuardError && error.reason === 'expired') refreshAndRetry()
 * }
 */
export class GuardError extends TesseraError {
  readonly status: number
  /** The OAuth / RFC 6750 `error` value, RFC spelling. */
  readonly oauthError: string
  readonly requiredScopes: readonly string[] | undefined
  readonly retryAfterSeconds: number | undefined
  readonly scheme: ChallengeScheme
  readonly isDpopProofFault: boolean

  constructor(reason: ReasonCode, options: GuardErrorOptions = {}) {
    super(reason, options.message, options.cause === undefined ? undefined : { cause: options.cause })
    const isDpopProofFault = options.isDpopProofFault === true
    const mapping = httpMappingFor(reason, options.retryAfterSeconds !== undefined, isDpopProofFault)
    this.status = mapping.status
    this.oauthError = mapping.error
    this.requiredScopes = options.requiredScopes
    this.retryAfterSeconds = options.retryAfterSeconds
    this.scheme = options.scheme ?? 'Bearer'
    this.isDpopProofFault = isDpopProofFault
  }

  /** The SPEC §4 reason code (the same value as `code`). */
  get reason(): ReasonCode {
    return this.code
  }
}

/**
 * Turns core's verification error into a `GuardError` with the same reason and safe message; a `GuardError`
 * passes through. Anything else is not a rejection but a fault, and is returned as `undefined`.
 *
 * @example
 * const rejection = toGuardError(error)
 * if (rejection === undefined) throw error
 */
export function toGuardError(error: unknown): GuardError | undefined {
  if (error instanceof GuardError) return error
  if (error instanceof TesseraError)
    return new GuardError(error.code, { message: error.message, cause: error })
  return undefined
}

/**
 * The same refusal, challenged under the `DPoP` scheme: a request that presented its token as `DPoP` is
 * answered with a DPoP challenge whatever refused it (RFC 9449 §7.1). Anything not a rejection is returned
 * as it is.
 *
 * @example
 * throw asDpopScheme(error)
 */
export function asDpopScheme(error: unknown): unknown {
  const rejection = toGuardError(error)
  if (rejection === undefined || rejection.scheme === 'DPoP') return error
  return new GuardError(rejection.reason, {
    message: rejection.message,
    cause: rejection.cause ?? rejection,
    ...(rejection.requiredScopes === undefined ? {} : { requiredScopes: rejection.requiredScopes }),
    ...(rejection.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: rejection.retryAfterSeconds }),
    scheme: 'DPoP',
    isDpopProofFault: rejection.isDpopProofFault,
  })
}

/** Seconds a client is told to wait when the guard itself cannot decide: about one feed ping interval. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5
