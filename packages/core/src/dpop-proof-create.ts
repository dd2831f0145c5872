import { createPublicKey, type KeyObject } from 'node:crypto'
import { encodeBase64url } from './base64url.ts'
import { computeDpopAth } from './dpop-binding.ts'
import type { DpopAlgorithm, DpopPublicJwk } from './dpop-key.ts'
import { createSignature } from './jws-signature.ts'

export interface CreateDpopProofOptions {
  /** The client's private key: Ed25519 for EdDSA, P-256 for ES256. */
  readonly privateKey: KeyObject
  /** Its public half, as it goes into the proof header (only the RFC 7638 members are copied). */
  readonly publicJwk: DpopPublicJwk
  readonly alg: DpopAlgorithm
  readonly method: string
  /** The request URL; its query and fragment are left out of `htu` (RFC 9449 §4.2). */
  readonly url: string
  readonly nowSeconds: number
  /** A fresh unpredictable value per proof, e.g. `encodeBase64url(random.bytes(16))`. */
  readonly jti: string
  /** Sent to a resource server with this token: adds its `ath` (RFC 9449 §4.2, §7). */
  readonly accessToken?: string
  /** The last `DPoP-Nonce` the server sent (RFC 9449 §8). */
  readonly nonce?: string
}

const curveFor = { EdDSA: 'Ed25519', ES256: 'P-256' } as const

/**
 * Creates a DPoP proof (RFC 9449 §4.2): header `{"typ":"dpop+jwt","alg","jwk"}`, claims `jti`, `htm`,
 * `htu`, `iat` and, when given, `ath` and `nonce`, signed with the core's JWS signing primitive (ECDSA
 * in the JWS `r‖s` form). Throws a `TypeError` when `publicJwk` is not the public half of `privateKey`
 * or does not fit `alg`, or when `url` is not an absolute URL, since such a proof could never verify.
 *
 * @example
 * const proof = createDpopProof({
 *   privateKey, publicJwk, alg: 'EdDSA', method: 'POST', url: 'https://auth.example/v1/token',
 *   nowSeconds: clock.nowSeconds(), jti: encodeBase64url(random.bytes(16)),
 * })
 * await fetch(url, { method: 'POST', headers: { DPoP: proof } })
 */
export function createDpopProof(options: CreateDpopProofOptions): string {
  const { privateKey, publicJwk, alg, method, nowSeconds, jti, accessToken, nonce } = options
  const jwk =
    publicJwk.kty === 'OKP'
      ? { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x }
      : { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }
  if (jwk.crv !== curveFor[alg]) throw new TypeError(`publicJwk is not a ${curveFor[alg]} key for ${alg}`)
  if (!isPublicHalf(privateKey, jwk)) throw new TypeError('publicJwk is not the public half of privateKey')
  const target = new URL(options.url)
  target.search = ''
  target.hash = ''
  const claims: Record<string, string | number> = { jti, htm: method, htu: target.href, iat: nowSeconds }
  if (accessToken !== undefined) claims.ath = computeDpopAth(accessToken)
  if (nonce !== undefined) claims.nonce = nonce
  const header = { typ: 'dpop+jwt', alg, jwk }
  const signingInput = `${encodeJson(header)}.${encodeJson(claims)}`
  const signature = createSignature(alg, privateKey, Buffer.from(signingInput, 'latin1'))
  return `${signingInput}.${encodeBase64url(signature)}`
}

function isPublicHalf(
  privateKey: KeyObject,
  jwk: { readonly crv: string; readonly x: string; readonly y?: string },
): boolean {
  if (privateKey.type !== 'private') return false
  const derived = createPublicKey(privateKey).export({ format: 'jwk' })
  return derived.crv === jwk.crv && derived.x === jwk.x && derived.y === jwk.y
}

function encodeJson(value: unknown): string {
  return encodeBase64url(Buffer.from(JSON.stringify(value), 'utf8'))
}
