import { encodeBase64url } from '../base64url.ts'
import { createSignature } from '../jws-signature.ts'
import type { SigningKey } from '../keys.ts'

/**
 * Test support only: signs an exact header text and exact payload bytes, so tests can build tokens that
 * `signJws` would never produce (extra header members, duplicate claims, non-UTF-8 payloads) and still carry
 * a valid signature — proving the verifier refuses them for the rule under test, not for the signature.
 */
export function signRawJws(headerJson: string, payload: string | Uint8Array, key: SigningKey): string {
  const payloadBytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const signingInput = `${encodeBase64url(Buffer.from(headerJson, 'utf8'))}.${encodeBase64url(payloadBytes)}`
  const signature = createSignature(key.alg, key.key, Buffer.from(signingInput, 'latin1'))
  return `${signingInput}.${encodeBase64url(signature)}`
}

/**
 * Test support only: replaces the segment at `index` (0 header, 1 payload, 2 signature) with `text`
 * verbatim, keeping the other two segments byte for byte.
 */
export function replaceSegment(token: string, index: 0 | 1 | 2, text: string): string {
  const segments = token.split('.')
  segments[index] = text
  return segments.join('.')
}
