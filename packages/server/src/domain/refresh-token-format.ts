import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { decodeBase64urlCanonical, encodeBase64url, type RandomSource } from '@tessera/core'

/**
 * Opaque refresh tokens: `tsr_` + base64url(32 random bytes ‖ 16-byte tag).
 *
 * The tag is HMAC-SHA256(tag key, random bytes) truncated to 128 bits. The tag key is derived from the
 * server secret, so every instance can reject garbage and forgeries in memory: a flood of invented tokens
 * never reaches the store. The store only ever sees SHA-256 of the whole token text.
 */
export const REFRESH_TOKEN_PREFIX = 'tsr_'
const RANDOM_BYTES = 32
const TAG_BYTES = 16
/** 48 bytes encode to exactly 64 base64url characters, no padding question. */
const ENCODED_LENGTH = REFRESH_TOKEN_PREFIX.length + 64

/** The keys refresh tokens need, derived from the server secret (see secrets/derived-keys.ts). */
export interface RefreshTokenKeys {
  readonly tagKey: Buffer
  readonly rotationKey: Buffer
}

/** A refresh token that passed the in-memory integrity check. */
export interface RefreshTokenText {
  readonly text: string
  readonly randomBytes: Buffer
}

function tagFor(randomBytes: Buffer, tagKey: Buffer): Buffer {
  return createHmac('sha256', tagKey).update(randomBytes).digest().subarray(0, TAG_BYTES)
}

function assemble(randomBytes: Buffer, tagKey: Buffer): RefreshTokenText {
  const body = Buffer.concat([randomBytes, tagFor(randomBytes, tagKey)])
  return { text: REFRESH_TOKEN_PREFIX + encodeBase64url(body), randomBytes }
}

/**
 * Mints a fresh refresh token with 256 bits from the CSPRNG.
 *
 * @example
 * const token = mintRefreshToken(keys, cryptoRandom) // token.text starts with 'tsr_'
 */
export function mintRefreshToken(keys: RefreshTokenKeys, random: RandomSource): RefreshTokenText {
  return assemble(random.bytes(RANDOM_BYTES), keys.tagKey)
}

/**
 * Parses and integrity-checks a presented refresh token without any store access. Returns undefined for
 * anything that is not a token this server minted (wrong prefix, length, encoding or tag).
 *
 * @example
 * const parsed = parseRefreshToken(body.refresh_token, keys)
 * if (!parsed) throw createError('invalid_refresh_token')
 */
export function parseRefreshToken(text: unknown, keys: RefreshTokenKeys): RefreshTokenText | undefined {
  if (typeof text !== 'string' || text.length !== ENCODED_LENGTH || !text.startsWith(REFRESH_TOKEN_PREFIX)) {
    return undefined
  }
  const body = decodeBase64urlCanonical(text.slice(REFRESH_TOKEN_PREFIX.length))
  if (!body || body.length !== RANDOM_BYTES + TAG_BYTES) return undefined
  const randomBytes = body.subarray(0, RANDOM_BYTES)
  const tag = body.subarray(RANDOM_BYTES)
  if (!timingSafeEqual(tag, tagFor(randomBytes, keys.tagKey))) return undefined
  return { text, randomBytes: Buffer.from(randomBytes) }
}

/**
 * The successor of a refresh token is derived from it, not drawn at random: whoever presents the parent
 * again inside the grace window receives the very same successor, recomputed, although the server stores
 * no token text at all (SPEC §2 grace window: parallel tabs, retries and lost responses stay safe).
 *
 * @example
 * const next = deriveSuccessorToken(parsed, keys)
 */
export function deriveSuccessorToken(parent: RefreshTokenText, keys: RefreshTokenKeys): RefreshTokenText {
  const randomBytes = createHmac('sha256', keys.rotationKey)
    .update('tessera refresh successor v1\0')
    .update(parent.randomBytes)
    .digest()
  return assemble(randomBytes, keys.tagKey)
}

/**
 * The only form in which a refresh token is stored: lower-case hex SHA-256 of its text. The token carries
 * 256 bits of entropy, so a fast hash is enough (no dictionary to attack).
 *
 * @example
 * await store.sessions.rotateRefreshToken({ tokenHash: hashRefreshToken(parsed.text), … })
 */
export function hashRefreshToken(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
