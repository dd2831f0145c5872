import { type JwsHeader, type ParseCompactJwsOptions, type ParsedJws, parseCompactJws } from './jws-parse.ts'
import { isSignatureValid } from './jws-signature.ts'
import type { VerificationKey } from './keys.ts'
import { BadSignatureError, UnknownKeyError, UnsupportedAlgorithmError } from './token-errors.ts'

/**
 * Finds the verification key for a parsed header, normally by `kid` in a key set loaded beforehand.
 * Returns `undefined` when no key matches. It must never fetch a URL named by the token (SPEC §5).
 */
export type KeyResolver = (header: JwsHeader) => VerificationKey | undefined

/**
 * Verifies a compact JWS: strict parse (see `parseCompactJws`), then
 * 1. the resolver's key for the header (`unknown_key` when there is none);
 * 2. the header `alg` must equal the key's own `alg` exactly (`unsupported_alg`) — the key, not the token,
 *    decides the algorithm, which stops HS/RS key confusion and algorithm downgrades (RFC 8725 §3.1);
 * 3. the signature must have the algorithm's exact length and verify (`bad_signature`).
 * Returns the parsed token; the payload is still undecoded bytes.
 *
 * @example
 * const jws = verifyJws(token, (header) => keysById.get(header.kid ?? ''))
 * const payload = parseStrictJsonBytes(jws.payload)
 */
export function verifyJws(
  token: string,
  resolveKey: KeyResolver,
  options?: ParseCompactJwsOptions,
): ParsedJws {
  const parsed = parseCompactJws(token, options)
  verifyParsedJws(parsed, resolveKey)
  return parsed
}

/**
 * Steps 1–3 of `verifyJws` on an already parsed token, for callers that check header rules (such as
 * RFC 9068's `typ`) between parsing and the key lookup. Returns the key that verified the token.
 *
 * @example
 * const parsed = parseCompactJws(token)
 * if (parsed.header.typ !== 'dpop+jwt') throw new WrongTokenTypeError()
 * verifyParsedJws(parsed, () => embeddedKey)
 */
export function verifyParsedJws(parsed: ParsedJws, resolveKey: KeyResolver): VerificationKey {
  const key = resolveKey(parsed.header)
  if (key === undefined) throw new UnknownKeyError()
  if (parsed.header.alg !== key.alg) throw new UnsupportedAlgorithmError('The token alg is not its key’s alg')
  // The signing input is ASCII (the parser checked every character), so latin1 copies it byte for byte.
  const signingInput = Buffer.from(parsed.signingInput, 'latin1')
  if (!isSignatureValid(key.alg, key.key, signingInput, parsed.signature)) throw new BadSignatureError()
  return key
}
