import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto'
import { algorithmProfiles, isJwsAlgorithm, type JwsAlgorithm, MIN_RSA_MODULUS_BITS } from './algorithms.ts'
import { decodeBase64urlCanonical } from './base64url.ts'
import type { VerificationKey } from './keys.ts'
import { MalformedTokenError, UnsupportedAlgorithmError } from './token-errors.ts'

export interface ImportVerificationJwkOptions {
  /** Accept `kty: "oct"` keys for HS256/384/512. Off by default: Tessera's own tokens are asymmetric. */
  readonly allowSymmetric?: boolean
}

type JwkObject = Readonly<Record<string, unknown>>

// RFC 7518 §6.2.2 and §6.3.2: a public JWK that carries these is a leaked private key, not a public one.
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const

const curveAlgorithms: { readonly [crv: string]: JwsAlgorithm | undefined } = {
  Ed25519: 'EdDSA',
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
}

/**
 * Imports one JWK (from a JWKS or a fixed key set) as a verification key, strictly. The key's algorithm is
 * pinned here, once, so a token can never choose it (RFC 8725 §3.1):
 * - EdDSA ↔ OKP Ed25519; ES256/384/512 ↔ EC P-256/384/521; RS*, PS* ↔ RSA of at least 2048 bits;
 *   HS* ↔ oct, only with `allowSymmetric` and a key at least as long as the digest (RFC 7518 §3.2);
 * - `alg` may be absent only for OKP and EC, where the curve implies it; RSA and oct need it;
 * - `use`, when present, must be `sig`; `key_ops`, when present, must list `verify` (RFC 7517 §4.2–4.3);
 * - private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`) on an asymmetric key are refused;
 * - key material must be canonical base64url of the right length.
 * Unknown extra members (`x5c`, `x5t`, …) are ignored. Throws `malformed` for a structural fault and
 * `unsupported_alg` for a key that is well-formed but unusable here.
 *
 * @example
 * const keys = jwks.keys.map((jwk) => importVerificationJwk(jwk))
 */
export function importVerificationJwk(jwk: unknown, options?: ImportVerificationJwkOptions): VerificationKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw malformed('The JWK is not an object')
  const members = jwk as JwkObject
  const { kty, alg, kid, use } = members
  if (typeof kty !== 'string') throw malformed('The JWK has no kty')
  if (kid !== undefined && typeof kid !== 'string') throw malformed('The JWK kid is not a string')
  if (alg !== undefined && !isJwsAlgorithm(alg)) throw unsupported('The JWK alg is not supported')
  if (use !== undefined && use !== 'sig') throw unsupported('The JWK is not meant for signatures')
  checkKeyOperations(members.key_ops)
  const declared: JwsAlgorithm | undefined = alg
  let imported: { readonly alg: JwsAlgorithm; readonly key: KeyObject }
  switch (kty) {
    case 'OKP':
    case 'EC':
      rejectPrivateMembers(members)
      imported = importCurveKey(kty, members, declared)
      break
    case 'RSA':
      rejectPrivateMembers(members)
      imported = importRsaKey(members, declared)
      break
    case 'oct':
      if (options?.allowSymmetric !== true) throw unsupported('Symmetric keys are not accepted')
      imported = importSecretKey(members, declared)
      break
    default:
      throw unsupported('The JWK kty is not supported')
  }
  return Object.freeze({ kid, alg: imported.alg, key: imported.key })
}

function checkKeyOperations(keyOps: unknown): void {
  if (keyOps === undefined) return
  if (!Array.isArray(keyOps) || !keyOps.every((op) => typeof op === 'string')) {
    throw malformed('The JWK key_ops is not an array of strings')
  }
  if (new Set(keyOps).size !== keyOps.length) throw malformed('The JWK key_ops has duplicates')
  if (!keyOps.includes('verify')) throw unsupported('The JWK key_ops does not allow verify')
}

function rejectPrivateMembers(members: JwkObject): void {
  for (const name of privateMembers) {
    if (members[name] !== undefined) throw malformed('The JWK carries private key members')
  }
}

function importCurveKey(
  kty: 'OKP' | 'EC',
  members: JwkObject,
  declared: JwsAlgorithm | undefined,
): { alg: JwsAlgorithm; key: KeyObject } {
  const { crv } = members
  if (typeof crv !== 'string') throw malformed('The JWK has no crv')
  const alg = curveAlgorithms[crv]
  const profile = alg === undefined ? undefined : algorithmProfiles[alg]
  // OKP must be Ed25519 and EC must be a NIST curve; X25519, Ed448 and secp256k1 are not signing curves here.
  if (alg === undefined || profile === undefined || (kty === 'OKP') !== (profile.family === 'eddsa')) {
    throw unsupported('The JWK curve is not supported')
  }
  if (declared !== undefined && declared !== alg) throw unsupported('The JWK alg does not match its curve')
  const coordinateBytes = kty === 'OKP' ? 32 : (profile.signatureBytes ?? 0) / 2
  const x = requireKeyMaterial(members.x, 'x', coordinateBytes)
  const jwk =
    kty === 'OKP' ? { kty, crv, x } : { kty, crv, x, y: requireKeyMaterial(members.y, 'y', coordinateBytes) }
  return { alg, key: createKey(() => createPublicKey({ key: jwk, format: 'jwk' })) }
}

function importRsaKey(
  members: JwkObject,
  declared: JwsAlgorithm | undefined,
): { alg: JwsAlgorithm; key: KeyObject } {
  const family = declared === undefined ? undefined : algorithmProfiles[declared].family
  if (declared === undefined || (family !== 'rsa-pkcs1' && family !== 'rsa-pss')) {
    throw unsupported('An RSA JWK must name an RS* or PS* alg')
  }
  const n = requireKeyMaterial(members.n, 'n')
  const e = requireKeyMaterial(members.e, 'e')
  const key = createKey(() => createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' }))
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) {
    throw unsupported('RSA keys below 2048 bits are not accepted')
  }
  return { alg: declared, key }
}

function importSecretKey(
  members: JwkObject,
  declared: JwsAlgorithm | undefined,
): { alg: JwsAlgorithm; key: KeyObject } {
  const profile = declared === undefined ? undefined : algorithmProfiles[declared]
  if (declared === undefined || profile?.family !== 'hmac')
    throw unsupported('An oct JWK must name an HS* alg')
  const secret = decodeMember(members.k, 'k')
  if (secret.length < (profile.signatureBytes ?? 0))
    throw unsupported('The HMAC key is shorter than its digest')
  return { alg: declared, key: createSecretKey(secret) }
}

function decodeMember(value: unknown, name: string): Buffer {
  const bytes = typeof value === 'string' ? decodeBase64urlCanonical(value) : undefined
  if (bytes === undefined || bytes.length === 0) throw malformed(`The JWK ${name} is not canonical base64url`)
  return bytes
}

function requireKeyMaterial(value: unknown, name: string, expectedBytes?: number): string {
  const bytes = decodeMember(value, name)
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw malformed(`The JWK ${name} has the wrong length`)
  }
  return value as string
}

function createKey(build: () => KeyObject): KeyObject {
  try {
    return build()
  } catch (error) {
    // OpenSSL's message stays in `cause`; it may quote key material, so it never becomes our message.
    throw malformed('The JWK is not a valid key', error)
  }
}

function malformed(message: string, cause?: unknown): MalformedTokenError {
  return new MalformedTokenError(message, cause === undefined ? undefined : { cause })
}

function unsupported(message: string): UnsupportedAlgorithmError {
  return new UnsupportedAlgorithmError(message)
}
