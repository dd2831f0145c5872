import { createHmac, createPublicKey, type KeyObject, sign } from 'node:crypto'
import { createSignature, exportPublicJwk, type SigningKey } from '@tessera/core'

/**
 * The attacker's workbench: builds compact JWS text byte for byte, so that a test can produce exactly the
 * token an attack needs (a header member Tessera never writes, a payload that is not UTF-8, a signature of
 * the wrong form) and still sign it with a real key. Nothing here checks anything; that is the point.
 */

/** Produces the signature bytes for a signing input (`BASE64URL(header) '.' BASE64URL(payload)`). */
export type Signer = (signingInput: Buffer) => Buffer

/**
 * base64url without padding of text (as UTF-8) or bytes.
 *
 * @example
 * b64u('{"alg":"none"}') // 'eyJhbGciOiJub25lIn0'
 */
export function b64u(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url')
}

/**
 * Signs with a key the way core signs (ECDSA in the JOSE `r‖s` form), whatever `alg` the header names.
 *
 * @example
 * forgeJws(header, payload, signerOf(attackerKey))
 */
export function signerOf(key: SigningKey): Signer {
  return (input) => createSignature(key.alg, key.key, input)
}

/**
 * HMAC-SHA256 with arbitrary bytes as the secret: the RFC 8725 §2.1 key-confusion forger, which uses the
 * issuer's public key (in some encoding) as the HMAC key.
 *
 * @example
 * forgeJws(header, payload, hmacSigner(publicKeyPem))
 */
export function hmacSigner(secret: Uint8Array): Signer {
  return (input) => createHmac('sha256', secret).update(input).digest()
}

/**
 * ECDSA with the default ASN.1 DER signature encoding that RFC 7518 §3.4 forbids in a JWS.
 *
 * @example
 * forgeJws(header, payload, derEcdsaSigner(esKey.key))
 */
export function derEcdsaSigner(privateKey: KeyObject): Signer {
  return (input) => sign('sha256', input, { key: privateKey, dsaEncoding: 'der' })
}

/** A fixed signature, whatever the input: psychic signatures, wrong lengths, an empty segment. */
export function fixedSigner(signature: Uint8Array): Signer {
  return () => Buffer.from(signature)
}

/**
 * A compact JWS from exact header text and exact payload bytes; `signer` `undefined` leaves the third
 * segment empty.
 *
 * @example
 * forgeJws('{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}', JSON.stringify(claims), signerOf(key))
 */
export function forgeJws(header: string | Uint8Array, payload: string | Uint8Array, signer?: Signer): string {
  const signingInput = `${b64u(header)}.${b64u(payload)}`
  if (signer === undefined) return `${signingInput}.`
  return `${signingInput}.${b64u(signer(Buffer.from(signingInput, 'latin1')))}`
}

/**
 * Signs two segments exactly as given — padded, with `+`/`/`, with dirty trailing bits, with whitespace —
 * so that only the strict parser, not the signature, can be what refuses them.
 *
 * @example
 * signSegments(`${b64u(header)}=`, b64u(payload), signerOf(serverKey))
 */
export function signSegments(headerSegment: string, payloadSegment: string, signer: Signer): string {
  const signingInput = `${headerSegment}.${payloadSegment}`
  return `${signingInput}.${b64u(signer(Buffer.from(signingInput, 'utf8')))}`
}

/**
 * A compact JWS whose header is `members` serialised as JSON and whose payload is `claims` as JSON.
 *
 * @example
 * forgeToken({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, jku: 'http://127.0.0.1:1/jwks' }, claims, signerOf(key))
 */
export function forgeToken(
  members: Readonly<Record<string, unknown>>,
  claims: unknown,
  signer?: Signer,
): string {
  return forgeJws(JSON.stringify(members), JSON.stringify(claims), signer)
}

/** The header Tessera itself writes for a key: `{"alg","typ":"at+jwt","kid"}`. */
export function accessTokenHeader(key: Pick<SigningKey, 'alg' | 'kid'>): Record<string, unknown> {
  return { alg: key.alg, typ: 'at+jwt', kid: key.kid }
}

/** Replaces segment `index` (0 header, 1 payload, 2 signature) verbatim. */
export function withSegment(token: string, index: 0 | 1 | 2, text: string): string {
  const segments = token.split('.')
  segments[index] = text
  return segments.join('.')
}

/** The decoded signature bytes of a compact JWS. */
export function signatureOf(token: string): Buffer {
  return Buffer.from(token.split('.')[2] ?? '', 'base64url')
}

/**
 * Every encoding of a public key an attacker might feed an HS256 verifier as its secret (RFC 8725 §2.1,
 * the classic RS256 → HS256 confusion): the JWK as JSON (as published, and node's bare export), PEM and DER
 * SPKI, the raw key bytes (Ed25519 `x`; EC `04‖x‖y`, `x‖y` and `x`; RSA `n`), and base64url of each.
 *
 * @example
 * for (const [label, secret] of publicKeyEncodings(serverKey)) forgeJws(header, payload, hmacSigner(secret))
 */
export function publicKeyEncodings(key: SigningKey): ReadonlyMap<string, Buffer> {
  const publicKey = createPublicKey(key.key)
  const jwk = publicKey.export({ format: 'jwk' })
  const raw = new Map<string, Buffer>([
    ['JWK JSON as published', Buffer.from(JSON.stringify(exportPublicJwk(key)))],
    ['JWK JSON (node export)', Buffer.from(JSON.stringify(jwk))],
    ['PEM SPKI', Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }))],
    ['DER SPKI', publicKey.export({ type: 'spki', format: 'der' })],
  ])
  const member = (name: 'x' | 'y' | 'n'): Buffer => Buffer.from(String(jwk[name]), 'base64url')
  if (jwk.kty === 'OKP') raw.set('raw x', member('x'))
  if (jwk.kty === 'EC') {
    raw.set('raw 04‖x‖y', Buffer.concat([Buffer.from([4]), member('x'), member('y')]))
    raw.set('raw x‖y', Buffer.concat([member('x'), member('y')]))
    raw.set('raw x', member('x'))
  }
  if (jwk.kty === 'RSA') raw.set('raw n', member('n'))
  const all = new Map(raw)
  for (const [label, bytes] of raw) all.set(`base64url(${label})`, Buffer.from(b64u(bytes)))
  return all
}

/**
 * Re-encodes a JOSE ECDSA signature (`r‖s`, 32 bytes each) as ASN.1 DER, as a non-JOSE signer would send it.
 *
 * @example
 * withSegment(token, 2, b64u(p1363ToDer(signatureOf(token))))
 */
export function p1363ToDer(signature: Uint8Array): Buffer {
  const integer = (bytes: Uint8Array): Buffer => {
    let start = 0
    while (start < bytes.length - 1 && bytes[start] === 0) start++
    const trimmed = Buffer.from(bytes.subarray(start))
    const padded = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed
    return Buffer.concat([Buffer.from([0x02, padded.length]), padded])
  }
  const half = signature.length / 2
  const body = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}
