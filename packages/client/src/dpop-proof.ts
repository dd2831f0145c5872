import type { DpopSigningKey } from './dpop-key.ts'

/** What one proof is about: the request it goes with (RFC 9449 §4.2). */
export interface DpopProofRequest {
  /** The method exactly as it goes on the wire (`Request.method`). */
  readonly method: string
  /** The request URL; query and fragment are left out of `htu`. */
  readonly url: string
  /** The access token sent beside the proof, hashed into `ath` (§4.2, §7.1). */
  readonly accessToken?: string | undefined
  /** The last `DPoP-Nonce` of the request's origin (§8, §9). */
  readonly nonce?: string | undefined
  /** `iat`, in epoch seconds. */
  readonly nowSeconds: number
}

const signParams = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
} as const

/** 16 random bytes: 128 bits, past the 96 that make a `jti` collision negligible (RFC 9449 §11.1). */
const JTI_BYTES = 16

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** base64url without padding (RFC 7515 §2). Written out because a browser bundle has no `Buffer`. */
function encodeBase64url(bytes: Uint8Array): string {
  let text = ''
  for (let index = 0; index < bytes.length; index += 3) {
    const chunk = ((bytes[index] ?? 0) << 16) | ((bytes[index + 1] ?? 0) << 8) | (bytes[index + 2] ?? 0)
    const sextets = Math.min(4, Math.ceil(((bytes.length - index) * 8) / 6))
    for (let sextet = 0; sextet < sextets; sextet += 1) text += alphabet[(chunk >> (18 - 6 * sextet)) & 63]
  }
  return text
}

function encodeJson(value: unknown): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(value)))
}

/**
 * The `ath` claim: base64url of the SHA-256 of the access token's ASCII text (RFC 9449 §4.2). It ties the
 * proof to the one token it travels with, so a proof cannot be paired with another token (§7.1).
 *
 * @example
 * const ath = await computeDpopAth(crypto.subtle, accessToken) // 43 characters
 */
export async function computeDpopAth(subtle: DpopSigningKey['subtle'], accessToken: string): Promise<string> {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(accessToken))
  return encodeBase64url(new Uint8Array(digest))
}

/**
 * Creates and signs one DPoP proof (RFC 9449 §4.2), a compact JWS: header `{typ: 'dpop+jwt', alg, jwk}`
 * with the public JWK only, claims `jti` (128 random bits), `htm`, `htu` (the URL without query and
 * fragment), `iat`, and `ath` and `nonce` when given. WebCrypto's ECDSA signature is already the raw
 * 64-byte `r‖s` that JWS requires (RFC 7518 §3.4), not DER, and Ed25519's is the 64 bytes of RFC 8037.
 * Every call makes a new proof: servers refuse a `jti` seen before (§11.1), retries included.
 *
 * @example
 * const proof = await createDpopProof(signingKey, {
 *   method: 'GET', url: 'https://api.example.com/orders', accessToken, nowSeconds: Math.floor(Date.now() / 1000),
 * })
 */
export async function createDpopProof(key: DpopSigningKey, request: DpopProofRequest): Promise<string> {
  const target = new URL(request.url)
  target.search = ''
  target.hash = ''
  const jti = encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(JTI_BYTES)))
  // htm is the method as sent: fetch upper-cases the standard methods itself and sends any other method
  // (e.g. `patch`) as written, and servers compare htm with the request method case-sensitively.
  const claims: Record<string, string | number> = {
    jti,
    htm: request.method,
    htu: target.href,
    iat: Math.floor(request.nowSeconds),
  }
  if (request.accessToken !== undefined) claims.ath = await computeDpopAth(key.subtle, request.accessToken)
  if (request.nonce !== undefined) claims.nonce = request.nonce
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk }
  const signingInput = `${encodeJson(header)}.${encodeJson(claims)}`
  const signature = await key.subtle.sign(
    signParams[key.alg],
    key.privateKey,
    new TextEncoder().encode(signingInput),
  )
  return `${signingInput}.${encodeBase64url(new Uint8Array(signature))}`
}
