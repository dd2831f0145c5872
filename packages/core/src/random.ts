import { randomBytes } from 'node:crypto'

/**
 * The randomness seam, after oslo's `@oslojs/crypto/random`: everything that mints identifiers, secrets or
 * jitter takes a `RandomSource`, so tests can make it deterministic without mocking `node:crypto`.
 */
export interface RandomSource {
  /** Returns `length` fresh random bytes. */
  bytes(length: number): Buffer
}

/**
 * The production source: the operating system CSPRNG through `crypto.randomBytes`.
 *
 * @example
 * const jti = encodeBase64url(cryptoRandom.bytes(16))
 */
export const cryptoRandom: RandomSource = Object.freeze({
  bytes: (length: number): Buffer => randomBytes(length),
})
