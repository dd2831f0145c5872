import { encodeBase64url } from './base64url.ts'
import { createSignature } from './jws-signature.ts'
import type { SigningKey } from './keys.ts'

/** The header members a caller may choose; `alg` and `kid` always come from the key. */
export interface SignJwsHeader {
  readonly typ?: string
}

/**
 * Signs a payload as a compact JWS. The protected header is `{"alg", "typ"?, "kid"}` with `alg` and `kid`
 * taken from the key, so a token always names the one algorithm its key is for. The payload bytes are
 * signed as given; use `signAccessToken` for access tokens.
 *
 * @example
 * const token = signJws({ typ: 'at+jwt' }, Buffer.from(JSON.stringify(claims)), signingKey)
 */
export function signJws(header: SignJwsHeader, payload: Uint8Array, key: SigningKey): string {
  const protectedHeader =
    header.typ === undefined
      ? { alg: key.alg, kid: key.kid }
      : { alg: key.alg, typ: header.typ, kid: key.kid }
  const signingInput = `${encodeBase64url(Buffer.from(JSON.stringify(protectedHeader)))}.${encodeBase64url(payload)}`
  const signature = createSignature(key.alg, key.key, Buffer.from(signingInput, 'latin1'))
  return `${signingInput}.${encodeBase64url(signature)}`
}
