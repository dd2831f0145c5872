import {
  type AccessTokenClaims,
  type Clock,
  type DpopAlgorithm,
  type DpopProofResult,
  verifyDpopProof,
} from '@tessera/core'
import {
  createMemoryReplayCache,
  createRedisConnection,
  createRedisReplayCache,
  type ReplayCache,
  whenRedisReady,
} from '@tessera/redis'
import type { CredentialScheme } from './extract-token.ts'
import { GuardError, UNAVAILABLE_RETRY_AFTER_SECONDS } from './guard-errors.ts'

/** How a request presented its token, as the DPoP check needs it. */
export interface DpopPresentation {
  /** The `Authorization` scheme. */
  readonly scheme: CredentialScheme
  /** The value of every `DPoP` header line (RFC 9449 §4.3 allows exactly one). */
  readonly proofs: readonly string[]
  /** The request method, compared with the proof's `htm`. */
  readonly method: string | undefined
  /** The request's absolute URL, compared with `htu`; `undefined` when it cannot be known (no `Host`). */
  readonly url: string | undefined
}

/**
 * Checks the DPoP side of one request: `undefined` when there is nothing to wait for (an unbound token sent
 * as `Bearer`), a promise that settles once the proof's `jti` is recorded, or a thrown `GuardError`.
 */
export type DpopCheck = (
  claims: AccessTokenClaims,
  token: string,
  presentation: DpopPresentation | undefined,
) => Promise<void> | undefined

/** A DPoP check and the means to close the Redis connection it may hold. */
export interface DpopChecking {
  readonly check: DpopCheck
  close(): void
}

export interface DpopCheckOptions {
  /** The guard's token algorithms; proofs are accepted in those of them DPoP knows (EdDSA, ES256). */
  readonly algorithms: readonly string[]
  readonly leewaySeconds: number
  readonly clock: Clock
  /** Keep the replay register on this Redis, shared by every guard with the same prefix. */
  readonly redis: { readonly url: string; readonly keyPrefix: string } | undefined
}

// A request that arrives while the connection is still (re)connecting waits this long for it, no longer:
// commands are not queued offline, so without the wait the first requests after startup would be 503s.
const redisReadyWaitMs = 2000

/** How old a proof's `iat` may be (core's default): a proof is made for one request, right before it. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60

/**
 * The DPoP check of RFC 9449 §7 at a resource server. A token with `cnf.jkt` must come under the `DPoP`
 * scheme with exactly one `DPoP` header whose proof core's `verifyDpopProof` accepts for this request's
 * method and absolute URL, this token (`ath`) and this `jkt`; then the proof's `jti` must be new. Every
 * request needs its own proof, so this runs on cache hits too. Refusals are `dpop_invalid`: a fault of the
 * proof is OAuth `invalid_dpop_proof`, a bound token sent as `Bearer` or an unbound one sent as `DPoP`
 * (§7.1: the token must be bound to the proof's key) is `invalid_token`.
 *
 * Replay (§11.1): `${jkt}:${jti}` is recorded until `iat + maxAge + 2 × leeway`, past which core refuses the
 * proof as too old anyway — on Redis (namespace `dpop`) when the guard has `redis`, so that guards behind one
 * load balancer share it, else in process memory. A register that cannot answer is a 503: a proof that
 * could not be checked for replay is not accepted.
 *
 * @example
 * const dpop = createDpopCheck({ algorithms: ['EdDSA'], leewaySeconds: 5, clock, redis: undefined })
 * await dpop.check(claims, token, { scheme: 'dpop', proofs: [proof], method: 'GET', url })
 */
export function createDpopCheck(options: DpopCheckOptions): DpopChecking {
  const { clock, leewaySeconds } = options
  const algorithms = options.algorithms.filter(isDpopAlgorithm)
  const connection =
    options.redis === undefined ? undefined : createRedisConnection(options.redis.url, { name: 'guard-dpop' })
  const replays: ReplayCache =
    connection === undefined || options.redis === undefined
      ? createMemoryReplayCache({ nowSeconds: () => clock.nowSeconds() })
      : createRedisReplayCache({ redis: connection, keyPrefix: options.redis.keyPrefix, namespace: 'dpop' })
  const remember = (key: string, expiresAt: number): Promise<boolean> => {
    if (connection === undefined || connection.status === 'ready') return replays.remember(key, expiresAt)
    return whenRedisReady(connection, redisReadyWaitMs).then(() => replays.remember(key, expiresAt))
  }

  const check: DpopCheck = (claims, token, presentation) => {
    const jkt = claims.cnf?.jkt
    const isDpopScheme = presentation?.scheme === 'dpop'
    if (jkt === undefined) {
      if (!isDpopScheme) return undefined
      throw new GuardError('dpop_invalid', {
        message: 'This token is not DPoP-bound and cannot be presented under the DPoP scheme',
        scheme: 'DPoP',
      })
    }
    // RFC 9449 §7.1: a bound token presented as a plain bearer token must be refused.
    if (presentation === undefined || !isDpopScheme) {
      throw new GuardError('dpop_invalid', {
        message: 'This token is DPoP-bound: present it under the DPoP scheme with a DPoP proof',
      })
    }
    const proof = presentation.proofs[0]
    if (proof === undefined) throw proofFault('A DPoP proof header is required')
    if (presentation.proofs.length > 1) throw proofFault('Exactly one DPoP header is allowed')
    if (presentation.method === undefined || presentation.url === undefined)
      throw proofFault('The request URL the DPoP proof must match could not be determined')
    const result: DpopProofResult = verifyDpopProof(proof, {
      method: presentation.method,
      url: presentation.url,
      nowSeconds: clock.nowSeconds(),
      maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
      leewaySeconds,
      algorithms,
      accessToken: token,
      expectedJkt: jkt,
    })
    // `detail` is core's own fixed text about which rule failed, never a value from the request.
    if (!result.ok) throw proofFault(`The DPoP proof is invalid: ${result.detail}`)
    const expiresAt = Math.ceil(result.iat) + DPOP_PROOF_MAX_AGE_SECONDS + 2 * leewaySeconds
    return remember(`${result.jkt}:${result.jti}`, expiresAt).then(
      (isNew) => {
        if (!isNew) throw proofFault('This DPoP proof was already used')
      },
      (error: unknown) => {
        throw new GuardError('dpop_invalid', {
          message: 'The DPoP replay register could not be reached',
          retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
          cause: error,
          scheme: 'DPoP',
          isDpopProofFault: true,
        })
      },
    )
  }

  return { check, close: () => connection?.disconnect() }
}

function proofFault(message: string): GuardError {
  return new GuardError('dpop_invalid', { message, scheme: 'DPoP', isDpopProofFault: true })
}

function isDpopAlgorithm(algorithm: string): algorithm is DpopAlgorithm {
  return algorithm === 'EdDSA' || algorithm === 'ES256'
}
