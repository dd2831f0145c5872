import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto'
import type { JwsAlgorithm } from './algorithms.ts'
import type { SigningKey, VerificationKey } from './keys.ts'
import { MalformedTokenError, UnsupportedAlgorithmError } from './token-errors.ts'

/**
 * A public JWK as Tessera publishes it in its JWKS: the public members of the key type only (RFC 7518 §6),
 * its `kid`, its one `alg` and `use: "sig"`. It never carries `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth` or `k`.
 */
export interface PublicJwk {
  readonly kty: 'OKP' | 'EC' | 'RSA'
  readonly crv?: string
  readonly x?: string
  readonly y?: string
  readonly n?: string
  readonly e?: string
  readonly kid: string
  readonly alg: JwsAlgorithm
  readonly use: 'sig'
}

/** The members RFC 7638 hashes; enough to name any public asymmetric key. */
export type ThumbprintInput = Pick<PublicJwk, 'kty' | 'crv' | 'x' | 'y' | 'n' | 'e'>

/**
 * Exports the public half of a key as a JWK, building it member by member from node's export so that
 * no private member can slip through. A key without a `kid` gets its RFC 7638 thumbprint as `kid`.
 * Symmetric keys have no public form and are refused with `unsupported_alg`.
 *
 * @example
 * const jwks = { keys: ring.map((key) => exportPublicJwk(key)) }
 */
export function exportPublicJwk(key: SigningKey | VerificationKey): PublicJwk {
  if (key.key.type === 'secret') throw new UnsupportedAlgorithmError('Symmetric keys are never published')
  const publicKey = key.key.type === 'private' ? createPublicKey(key.key) : key.key
  const exported: JsonWebKey = publicKey.export({ format: 'jwk' })
  const members = publicMembersOf(exported)
  return Object.freeze({
    ...members,
    kid: key.kid ?? computeJwkThumbprint(members),
    alg: key.alg,
    use: 'sig',
  })
}

function publicMembersOf(jwk: JsonWebKey): ThumbprintInput {
  const { kty, crv, x, y, n, e } = jwk
  if (kty === 'OKP' && crv !== undefined && x !== undefined) return { kty, crv, x }
  if (kty === 'EC' && crv !== undefined && x !== undefined && y !== undefined) return { kty, crv, x, y }
  if (kty === 'RSA' && n !== undefined && e !== undefined) return { kty, n, e }
  throw new UnsupportedAlgorithmError('The key type has no JWK form here')
}

/**
 * Computes the RFC 7638 JWK thumbprint (SHA-256, base64url): the required members of the key type in
 * lexicographic order, serialised without whitespace. This is also the DPoP `jkt` of RFC 9449 §6.1.
 *
 * @example
 * computeJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export function computeJwkThumbprint(jwk: ThumbprintInput): string {
  const { kty } = jwk
  let canonical: string
  if (kty === 'RSA') canonical = JSON.stringify({ e: required(jwk.e), kty, n: required(jwk.n) })
  else if (kty === 'EC') {
    canonical = JSON.stringify({ crv: required(jwk.crv), kty, x: required(jwk.x), y: required(jwk.y) })
  } else canonical = JSON.stringify({ crv: required(jwk.crv), kty, x: required(jwk.x) })
  return createHash('sha256').update(canonical).digest('base64url')
}

// JSON.stringify silently drops undefined members, which would hash a different key.
function required(member: string | undefined): string {
  if (typeof member !== 'string') throw new MalformedTokenError('The JWK lacks a required member')
  return member
}
