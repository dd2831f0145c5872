import { decodeBase64urlRange } from './base64url.ts'
import { isJsonObject, parseStrictJsonBytes } from './strict-json.ts'
import { MalformedTokenError, TokenTooLargeError, UnsupportedAlgorithmError } from './token-errors.ts'

/** The only protected header members Tessera honours (SPEC §2). */
export interface JwsHeader {
  readonly alg: string
  readonly typ?: string
  readonly kid?: string
}

/** A compact JWS taken apart, before any key or signature check. */
export interface ParsedJws {
  readonly header: JwsHeader
  /** The payload bytes, undecoded: what they mean is the caller's business, after the signature check. */
  readonly payload: Buffer
  /** `BASE64URL(header) '.' BASE64URL(payload)`, the exact text the signature covers (RFC 7515 §5.2). */
  readonly signingInput: string
  readonly signature: Buffer
}

export interface ParseCompactJwsOptions {
  /** Longest accepted token, in characters. Default 8192 (SPEC §3: token limit 8 KiB). */
  readonly maxLength?: number
}

export const DEFAULT_MAX_TOKEN_LENGTH = 8192

// Three runs of the base64url alphabet separated by exactly two dots; the header and signature runs are
// non-empty. No character class admits '.', so matching is linear and cannot backtrack catastrophically.
const compactJwsText = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/

/**
 * Parses a compact JWS strictly, before any cryptography (SPEC §5):
 * 1. at most `maxLength` characters, else `token_too_large`;
 * 2. exactly three segments of canonical base64url (no padding, whitespace or stray unused bits), the header
 *    and signature non-empty, else `malformed`;
 * 3. the header is fatal-UTF-8 JSON with no duplicate members and is an object whose only members are
 *    `alg`, `typ` and `kid`, all strings — `jku`, `x5u`, `jwk`, `x5c`, `crit`, `b64`, `zip` or anything else
 *    make the token `malformed`, so no header can point verification at a key of the attacker's choosing;
 * 4. `alg: "none"` in any casing is `unsupported_alg` (RFC 8725 §3.1).
 * The payload stays bytes; nothing in it is trusted or even decoded here.
 *
 * @example
 * const { header, payload } = parseCompactJws(token)
 * header.kid // the key id to look up
 */
export function parseCompactJws(token: string, options?: ParseCompactJwsOptions): ParsedJws {
  if (typeof token !== 'string') throw new MalformedTokenError('The token is not a string')
  if (token.length > (options?.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH)) throw new TokenTooLargeError()
  if (!compactJwsText.test(token)) throw new MalformedTokenError('The token is not a compact JWS')
  const firstDot = token.indexOf('.')
  const secondDot = token.indexOf('.', firstDot + 1)
  const headerBytes = decodeBase64urlRange(token, 0, firstDot)
  const payload = decodeBase64urlRange(token, firstDot + 1, secondDot)
  const signature = decodeBase64urlRange(token, secondDot + 1, token.length)
  if (headerBytes === undefined || payload === undefined || signature === undefined) {
    throw new MalformedTokenError('The token is not canonical base64url')
  }
  const header = parseHeader(headerBytes)
  return { header, payload, signingInput: token.slice(0, secondDot), signature }
}

function parseHeader(bytes: Buffer): JwsHeader {
  // Depth 1: every honoured member is a string, so a nested value is already a refusal.
  const header = parseStrictJsonBytes(bytes, { maxDepth: 1 })
  if (!isJsonObject(header)) throw new MalformedTokenError('The token header is not a JSON object')
  for (const name in header) {
    if (name !== 'alg' && name !== 'typ' && name !== 'kid') {
      throw new MalformedTokenError('The token header has a member Tessera does not honour')
    }
    if (typeof header[name] !== 'string')
      throw new MalformedTokenError('A token header member is not a string')
  }
  const { alg } = header
  if (typeof alg !== 'string') throw new MalformedTokenError('The token header has no alg')
  if (alg.toLowerCase() === 'none') throw new UnsupportedAlgorithmError('Unsecured tokens are never accepted')
  return header as unknown as JwsHeader
}
