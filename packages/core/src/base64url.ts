/**
 * base64url without padding (RFC 7515 §2, RFC 4648 §5), decoded canonically: every byte string has exactly
 * one accepted text. Node's own decoder skips whitespace, stops at `=`, accepts `+` and `/` and ignores the
 * unused low bits of the last character, so without these checks one token could be written many ways —
 * which breaks replay caches, `jti` bookkeeping and any lookup keyed on the token text.
 */

// A single character class under one star: linear time, no backtracking possible.
const base64urlText = /^[A-Za-z0-9_-]*$/

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * encodeBase64url(new Uint8Array([0xfb, 0xff])) // '-_8'
 */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/**
 * Decodes base64url text only if it is the canonical encoding of its bytes: alphabet `A–Z a–z 0–9 - _`,
 * no padding, no whitespace, a length that is not 1 modulo 4, and zero unused bits in the last character
 * (so the text re-encodes to itself). Returns `undefined` for anything else.
 *
 * @example
 * decodeBase64urlCanonical('QQ') // <Buffer 41>
 * decodeBase64urlCanonical('QR') // undefined: the unused bits of 'R' are not zero
 */
export function decodeBase64urlCanonical(text: string): Buffer | undefined {
  if (!base64urlText.test(text)) return undefined
  return decodeBase64urlRange(text, 0, text.length)
}

/**
 * Decodes `text[start, end)`, which the caller has already checked to contain only base64url characters,
 * if its length and its last character are canonical. Lets the JWS parser check the alphabet of the whole
 * token in one pass and then decode each segment without re-scanning or re-encoding it.
 *
 * @example
 * decodeBase64urlRange('eyJ9.QQ', 5, 7) // <Buffer 41>
 */
export function decodeBase64urlRange(text: string, start: number, end: number): Buffer | undefined {
  const length = end - start
  const remainder = length & 3
  if (remainder === 1) return undefined
  if (remainder !== 0) {
    // 2 leftover characters carry 12 bits for 8 (4 unused); 3 carry 18 bits for 16 (2 unused).
    const unusedMask = remainder === 2 ? 0x0f : 0x03
    if ((sextetOf(text.charCodeAt(end - 1)) & unusedMask) !== 0) return undefined
  }
  return Buffer.from(start === 0 && end === text.length ? text : text.slice(start, end), 'base64url')
}

function sextetOf(charCode: number): number {
  if (charCode >= 97) return charCode - 71 // a–z → 26–51
  if (charCode >= 65) return charCode === 95 ? 63 : charCode - 65 // A–Z → 0–25, _ → 63
  if (charCode >= 48) return charCode + 4 // 0–9 → 52–61
  return 62 // -
}
