import { createHmac, timingSafeEqual } from 'node:crypto'
import { decodeBase64urlCanonical, encodeBase64url } from './base64url.ts'

/**
 * Stateless DPoP server nonces (RFC 9449 §8 and §9). A nonce is the HMAC-SHA256, under a key every
 * instance shares, of the current 60-second time step, truncated to 128 bits and base64url-encoded. Any
 * instance holding the key can check one without a store or a round trip, and no client can predict the
 * next one, so a proof carrying it cannot have been made before the step began — which bounds how long
 * a stolen signing key's pre-made proofs stay usable (§11.2).
 *
 * A nonce is accepted during its own step and the next, so it lives between 60 and 120 seconds. Any
 * client may use any current nonce; RFC 9449 asks only that it be unpredictable and fresh. Instances
 * whose clocks differ can see a nonce from a step they have not reached yet; they refuse it and send a
 * fresh `DPoP-Nonce`, and the client retries once — the ordinary `use_dpop_nonce` flow. Rotating the
 * key has the same one-retry effect on nonces in flight.
 */

/** The length of one nonce time step. */
export const DPOP_NONCE_STEP_SECONDS = 60

/** The shortest accepted nonce key: RFC 2104 §3 discourages HMAC keys shorter than the hash output. */
export const MIN_DPOP_NONCE_KEY_BYTES = 32

const nonceBytes = 16
// Domain separation: the same key material used for anything else can never yield a valid nonce.
const label = Buffer.from('tessera dpop-nonce v1\0', 'latin1')

/**
 * Issues the nonce of the time step containing `nowSeconds`, to send as the `DPoP-Nonce` response header.
 * Throws a `RangeError` for a key shorter than 32 bytes or a non-finite time.
 *
 * @example
 * reply.header('DPoP-Nonce', issueDpopNonce(config.dpopNonceKey, clock.nowSeconds()))
 */
export function issueDpopNonce(key: Uint8Array, nowSeconds: number): string {
  return encodeBase64url(nonceFor(key, stepOf(key, nowSeconds)))
}

/**
 * Tells whether `nonce` was issued, under `key`, in the time step containing `nowSeconds` or the one
 * before. Compares in constant time; a non-string, non-canonical or wrong-length nonce is simply not fresh.
 * Throws a `RangeError` for a key shorter than 32 bytes or a non-finite time.
 *
 * @example
 * verifyDpopProof(proof, { ...request, nonce: (nonce) => isDpopNonceFresh(nonce, key, now) })
 */
export function isDpopNonceFresh(nonce: unknown, key: Uint8Array, nowSeconds: number): boolean {
  const step = stepOf(key, nowSeconds)
  const presented = typeof nonce === 'string' ? decodeBase64urlCanonical(nonce) : undefined
  if (presented === undefined || presented.length !== nonceBytes) return false
  // Both comparisons always run, so the time taken does not tell which step matched.
  const isCurrent = timingSafeEqual(presented, nonceFor(key, step))
  const isPrevious = timingSafeEqual(presented, nonceFor(key, step - 1))
  return isCurrent || isPrevious
}

function stepOf(key: Uint8Array, nowSeconds: number): number {
  if (!(key instanceof Uint8Array) || key.byteLength < MIN_DPOP_NONCE_KEY_BYTES)
    throw new RangeError(`The DPoP nonce key must be at least ${MIN_DPOP_NONCE_KEY_BYTES} bytes`)
  if (!Number.isFinite(nowSeconds)) throw new RangeError('nowSeconds must be a finite number')
  return Math.floor(nowSeconds / DPOP_NONCE_STEP_SECONDS)
}

function nonceFor(key: Uint8Array, step: number): Buffer {
  const counter = Buffer.alloc(8)
  counter.writeBigInt64BE(BigInt(step))
  return createHmac('sha256', key).update(label).update(counter).digest().subarray(0, nonceBytes)
}
