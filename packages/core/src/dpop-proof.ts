import { decodeBase64urlRange } from './base64url.ts'
import { computeDpopAth, normalizeDpopUrl } from './dpop-binding.ts'
import { checkDpopKey, type DpopAlgorithm, type DpopPublicJwk } from './dpop-key.ts'
import { DEFAULT_MAX_TOKEN_LENGTH } from './jws-parse.ts'
import { isJsonObject, parseStrictJsonBytes } from './strict-json.ts'

export interface DpopProofOptions {
  /** The request's HTTP method, compared case-sensitively (RFC 9110 §9.1). */
  readonly method: string
  /** The request's absolute URL as the server sees it; query and fragment are ignored. */
  readonly url: string
  readonly nowSeconds: number
  /** How old `iat` may be. Default 60. */
  readonly maxAgeSeconds?: number
  /** Clock skew allowed on both sides of the `iat` window. Default 5. */
  readonly leewaySeconds?: number
  /** Accepted proof algorithms. Default `['EdDSA', 'ES256']`. */
  readonly algorithms?: readonly DpopAlgorithm[]
  /** At a resource server: the access token sent with the proof; `ath` must be its hash (§7.1). */
  readonly accessToken?: string
  /** The access token's `cnf.jkt`: the proof key's thumbprint must equal it (§6.1, §7.1). */
  readonly expectedJkt?: string
  /** When the server requires a nonce (§8–9): the exact nonce, or a test such as `isDpopNonceFresh`. */
  readonly nonce?: string | ((nonce: string) => boolean)
}

/** Which check refused a proof. `nonce` failures call for a `use_dpop_nonce` answer (RFC 9449 §8). */
export type DpopCheck =
  | 'syntax'
  | 'typ'
  | 'alg'
  | 'header'
  | 'jwk'
  | 'signature'
  | 'payload'
  | 'jti'
  | 'htm'
  | 'htu'
  | 'nonce'
  | 'iat'
  | 'ath'
  | 'jkt'

export type DpopProofResult =
  | {
      readonly ok: true
      /** RFC 7638 thumbprint of the proof key: the `cnf.jkt` to bind a new token to (§6.1). */
      readonly jkt: string
      readonly jti: string
      readonly iat: number
      readonly jwk: DpopPublicJwk
    }
  | {
      readonly ok: false
      readonly reason: 'dpop_invalid'
      readonly check: DpopCheck
      readonly detail: string
    }

type Claims = Readonly<Record<string, unknown>>

const defaultAlgorithms: readonly DpopAlgorithm[] = Object.freeze(['EdDSA', 'ES256'] as const)
const maxJtiLength = 256
// Three non-empty base64url runs: a DPoP proof always has claims. No class admits '.', so no backtracking.
const compactJwsText = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// RFC 9449 §4.2 puts the key in `jwk`; any other key reference could steer a verifier to a second key.
// `crit` names extensions we do not implement, which RFC 7515 §4.1.11 says must then be refused.
// Other unknown members are ignored, as RFC 7515 §4 asks.
const refusedHeaders = ['kid', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit'] as const

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) against the request it came with. Pure and synchronous; no check
 * throws for bad input — the first broken rule comes back as `{ ok: false, reason: 'dpop_invalid', check,
 * detail }`, in this order: a compact JWS of at most 8 KiB in canonical base64url with strict-JSON header
 * (`syntax`); `typ` exactly `dpop+jwt` (`typ`); `alg` in `algorithms` (`alg`; never `none` or HS*); no
 * `kid`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256` or `crit` (`header`); `jwk` a public Ed25519 (EdDSA) or
 * P-256 (ES256) key with no private member (`jwk`); the signature by that key (`signature`); a strict-JSON
 * object payload (`payload`); `jti` a string of 1–256 characters; `htm` equal to the method; `htu` equal to
 * the URL after `normalizeDpopUrl`; `nonce` when required; `iat` within [now − maxAge − leeway,
 * now + leeway]; `ath` when an access token is given; the key's thumbprint equal to `expectedJkt`.
 * Options that are not usable (a non-finite `nowSeconds`, an unknown algorithm) throw a `TypeError`.
 *
 * Replay is the caller's part: remember `(jkt, jti)` — `jti` is unique only per client key (§11.1), so
 * keying on the key stops one client from burning another's values — for `maxAgeSeconds + 2 ×
 * leewaySeconds`, the longest a proof stays acceptable, and refuse a pair seen before.
 *
 * @example
 * const result = verifyDpopProof(request.headers.dpop, {
 *   method: 'GET', url: 'https://api.example/orders', nowSeconds: clock.nowSeconds(),
 *   accessToken, expectedJkt: claims.cnf?.jkt,
 * })
 * if (!result.ok) throw new InvalidDpopProofError(result.detail)
 * if (!replayCache.add(`${result.jkt}:${result.jti}`)) throw new InvalidDpopProofError('replayed')
 */
export function verifyDpopProof(proof: string, options: DpopProofOptions): DpopProofResult {
  const { nowSeconds, maxAgeSeconds = 60, leewaySeconds = 5, algorithms = defaultAlgorithms } = options
  checkOptions(options, maxAgeSeconds, leewaySeconds, algorithms)
  if (typeof proof !== 'string') return refuse('syntax', 'the proof is not a string')
  if (proof.length > DEFAULT_MAX_TOKEN_LENGTH)
    return refuse('syntax', `the proof is longer than ${DEFAULT_MAX_TOKEN_LENGTH} characters`)
  if (!compactJwsText.test(proof)) return refuse('syntax', 'the proof is not a compact JWS')
  const firstDot = proof.indexOf('.')
  const secondDot = proof.indexOf('.', firstDot + 1)
  const headerBytes = decodeBase64urlRange(proof, 0, firstDot)
  const payloadBytes = decodeBase64urlRange(proof, firstDot + 1, secondDot)
  const signature = decodeBase64urlRange(proof, secondDot + 1, proof.length)
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined)
    return refuse('syntax', 'the proof is not canonical base64url')
  // Depth 3: the header object, the jwk object in it, and a `key_ops` array in that.
  const header = parseJsonObject(headerBytes, 3)
  if (header === undefined) return refuse('syntax', 'the proof header is not a strict JSON object')

  if (header.typ !== 'dpop+jwt') return refuse('typ', 'the typ header is not dpop+jwt')
  const { alg } = header
  if (!algorithms.some((accepted) => accepted === alg))
    return refuse('alg', 'the alg header is not an accepted asymmetric algorithm')
  for (const name of refusedHeaders) {
    if (Object.hasOwn(header, name)) return refuse('header', `the ${name} header is not allowed in a proof`)
  }
  const key = checkDpopKey(header.jwk, alg as DpopAlgorithm)
  if (!key.ok) return refuse('jwk', key.detail)
  // The signing input is ASCII (checked by the pattern above), so latin1 copies it byte for byte.
  if (!key.verify(Buffer.from(proof.slice(0, secondDot), 'latin1'), signature))
    return refuse('signature', 'the proof signature does not verify with its jwk')

  // Claims are decoded only now, after the signature: nothing unauthenticated is interpreted.
  const claims = parseJsonObject(payloadBytes, 16)
  if (claims === undefined) return refuse('payload', 'the proof payload is not a strict JSON object')
  return checkClaims(claims, options, { maxAgeSeconds, leewaySeconds, nowSeconds }, key.jkt, key.jwk)
}

function checkClaims(
  claims: Claims,
  options: DpopProofOptions,
  window: { readonly maxAgeSeconds: number; readonly leewaySeconds: number; readonly nowSeconds: number },
  jkt: string,
  jwk: DpopPublicJwk,
): DpopProofResult {
  const { jti, htm, htu, nonce, iat, ath } = claims
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > maxJtiLength)
    return refuse('jti', `the jti claim is not a string of 1 to ${maxJtiLength} characters`)
  if (typeof htm !== 'string') return refuse('htm', 'the htm claim is missing or not a string')
  if (htm !== options.method) return refuse('htm', 'the htm claim does not match the request method')
  if (typeof htu !== 'string') return refuse('htu', 'the htu claim is missing or not a string')
  const claimedUrl = normalizeDpopUrl(htu)
  if (claimedUrl === undefined) return refuse('htu', 'the htu claim is not an absolute http(s) URL')
  const requestUrl = normalizeDpopUrl(options.url)
  // The request URL may come from a Host header, so an unusable one is a refusal, not an exception.
  if (requestUrl === undefined) return refuse('htu', 'the request URL is not an absolute http(s) URL')
  if (claimedUrl !== requestUrl) return refuse('htu', 'the htu claim does not match the request URL')
  if (options.nonce !== undefined) {
    if (typeof nonce !== 'string') return refuse('nonce', 'the nonce claim is missing or not a string')
    const isAccepted = typeof options.nonce === 'string' ? nonce === options.nonce : options.nonce(nonce)
    if (!isAccepted) return refuse('nonce', 'the nonce claim is not a nonce this server accepts')
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    return refuse('iat', 'the iat claim is missing or not a number')
  if (iat < window.nowSeconds - window.maxAgeSeconds - window.leewaySeconds)
    return refuse('iat', 'the iat claim is too old')
  if (iat > window.nowSeconds + window.leewaySeconds) return refuse('iat', 'the iat claim is in the future')
  // At the token endpoint no access token exists yet, so an `ath` there is simply not looked at.
  if (options.accessToken !== undefined) {
    if (typeof ath !== 'string') return refuse('ath', 'the ath claim is missing or not a string')
    if (ath !== computeDpopAth(options.accessToken))
      return refuse('ath', 'the ath claim does not match the access token')
  }
  if (options.expectedJkt !== undefined && jkt !== options.expectedJkt)
    return refuse('jkt', 'the proof key does not match the token cnf.jkt')
  return { ok: true, jkt, jti, iat, jwk }
}

function parseJsonObject(bytes: Buffer, maxDepth: number): Claims | undefined {
  try {
    const value = parseStrictJsonBytes(bytes, { maxDepth })
    return isJsonObject(value) ? value : undefined
  } catch {
    // Only MalformedTokenError comes out of the strict parser; its offset means nothing to the caller.
    return undefined
  }
}

function checkOptions(
  options: DpopProofOptions,
  maxAgeSeconds: number,
  leewaySeconds: number,
  algorithms: readonly DpopAlgorithm[],
): void {
  if (!Number.isFinite(options.nowSeconds)) throw new TypeError('nowSeconds must be a finite number')
  if (!(maxAgeSeconds >= 0 && leewaySeconds >= 0 && Number.isFinite(maxAgeSeconds + leewaySeconds)))
    throw new TypeError('maxAgeSeconds and leewaySeconds must be finite and not negative')
  if (typeof options.method !== 'string' || options.method === '')
    throw new TypeError('method must be a non-empty string')
  if (algorithms.length === 0 || !algorithms.every((alg) => alg === 'EdDSA' || alg === 'ES256'))
    throw new TypeError('algorithms must list EdDSA and/or ES256')
}

function refuse(check: DpopCheck, detail: string): DpopProofResult {
  return { ok: false, reason: 'dpop_invalid', check, detail }
}
