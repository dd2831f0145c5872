import { createHash, timingSafeEqual } from 'node:crypto'
import { decodeBase64urlCanonical, encodeBase64url, type RandomSource } from '@tessera/core'

/**
 * Client secrets: `tss_` + base64url(32 random bytes). With 256 bits from the CSPRNG there is no
 * dictionary to attack, so a fast hash (SHA-256) is enough for storage, as for refresh tokens; the
 * recognisable prefix lets secret scanners find a leaked one.
 */
export const CLIENT_SECRET_PREFIX = 'tss_'
const SECRET_BYTES = 32
const ENCODED_LENGTH = CLIENT_SECRET_PREFIX.length + 43

/**
 * Draws a new client secret.
 *
 * @example
 * const secret = mintClientSecret(cryptoRandom) // 'tss_…' (47 characters)
 */
export function mintClientSecret(random: RandomSource): string {
  return CLIENT_SECRET_PREFIX + encodeBase64url(random.bytes(SECRET_BYTES))
}

/**
 * The only form in which a client secret is stored: lower-case hex SHA-256 of its text.
 *
 * @example
 * await store.clients.create({ …, secretHash: hashClientSecret(secret) })
 */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/**
 * Whether a presented secret has the shape of one this server mints (a cheap check before hashing).
 *
 * @example
 * isClientSecretShaped('tss_' + 'A'.repeat(43)) // true
 */
export function isClientSecretShaped(secret: string): boolean {
  if (secret.length !== ENCODED_LENGTH || !secret.startsWith(CLIENT_SECRET_PREFIX)) return false
  return decodeBase64urlCanonical(secret.slice(CLIENT_SECRET_PREFIX.length))?.length === SECRET_BYTES
}

/**
 * Compares a presented secret with a stored hash in constant time (the hashes have a fixed length).
 *
 * @example
 * if (!isClientSecretMatch(client.secretHash, presented)) return fail()
 */
export function isClientSecretMatch(storedHash: string, presented: string): boolean {
  const expected = Buffer.from(storedHash, 'utf8')
  const actual = Buffer.from(hashClientSecret(presented), 'utf8')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
