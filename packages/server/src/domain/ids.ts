import { cryptoRandom, type RandomSource } from '@tessera/core'

/**
 * Identifiers of stored things: `<prefix>_<22 base64url chars>`, the 22 characters being 16 random bytes
 * (128 bits). Random rather than sequential so an id reveals neither how many users exist nor when one
 * was created, and guessing another user's session id is hopeless (2^128). The prefix tells a reader of a
 * log line what kind of id it is, and lets a parser reject an id of the wrong kind.
 */
export type IdPrefix = 'usr' | 'ses' | 'rt' | 'key' | 'cli' | 'idn'

const ID_RANDOM_BYTES = 16
const ID_PATTERNS: Readonly<Record<IdPrefix, RegExp>> = {
  usr: pattern('usr'),
  ses: pattern('ses'),
  rt: pattern('rt'),
  key: pattern('key'),
  cli: pattern('cli'),
  idn: pattern('idn'),
}

// 16 bytes → 22 base64url chars whose last one carries 2 data bits and 4 zero bits, so only
// A, Q, g or w can end a canonical id; anything else is a second spelling of the same bytes.
function pattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[A-Za-z0-9_-]{21}[AQgw]$`)
}

/**
 * Draws a new identifier of the given kind.
 *
 * @example
 * newId('usr') // 'usr_3q2-7wAAAAAAAAAAAAAAAA' (random)
 */
export function newId(prefix: IdPrefix, random: RandomSource = cryptoRandom): string {
  return `${prefix}_${random.bytes(ID_RANDOM_BYTES).toString('base64url')}`
}

/**
 * Whether a value is an identifier of the given kind, in its one canonical spelling.
 *
 * @example
 * isId('ses', request.params.id) // false for 'usr_…', '', 42 or a 23-character tail
 */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERNS[prefix].test(value)
}
