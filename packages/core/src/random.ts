import { randomFillSync } from 'node:crypto'

/**
 * The randomness seam, after oslo's `@oslojs/crypto/random`: everything that mints identifiers, secrets or
 * jitter takes a `RandomSource`, so tests can make it deterministic without mocking `node:crypto`.
 */
export interface RandomSource {
  /** Returns `length` fresh random bytes. */
  bytes(length: number): Buffer
}

// A refresh mints an access-token jti, jitter bytes, a token id and more: five small draws per request. One
// OpenSSL call per draw cost 4% of the server's CPU under a refresh storm, so draws are served from a pool
// filled 8 KiB at a time (as Node's own randomUUID does). Every byte is handed out once, as a copy: no two
// callers ever share bytes, and a caller keeping its buffer cannot see later draws.
const POOL_BYTES = 8192
const MAX_POOLED_DRAW = 256
const pool = Buffer.alloc(POOL_BYTES)
let poolOffset = POOL_BYTES

function drawBytes(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError('length must be a non-negative integer')
  if (length > MAX_POOLED_DRAW) return randomFillSync(Buffer.alloc(length))
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool)
    poolOffset = 0
  }
  // Buffer.alloc, not Buffer.from: a draw gets memory of its own, never a slice of Node's shared slab.
  const drawn = Buffer.alloc(length)
  pool.copy(drawn, 0, poolOffset, poolOffset + length)
  // Wipe what was handed out, so the pool never holds a copy of bytes a caller now owns.
  pool.fill(0, poolOffset, poolOffset + length)
  poolOffset += length
  return drawn
}

/**
 * The production source: the operating system CSPRNG (OpenSSL's, through `crypto.randomFillSync`), drawn
 * from a pool so that small draws do not each pay for a call into OpenSSL.
 *
 * @example
 * const jti = encodeBase64url(cryptoRandom.bytes(16))
 */
export const cryptoRandom: RandomSource = Object.freeze({ bytes: drawBytes })
