import { TesseraError } from './errors.ts'
import { computeJwkThumbprint } from './jwk-export.ts'
import { importVerificationJwk } from './jwk-import.ts'
import { isSignatureValid } from './jws-signature.ts'

/** The DPoP proof algorithms Tessera accepts: asymmetric only, as RFC 9449 §4.2 requires. */
export type DpopAlgorithm = 'EdDSA' | 'ES256'

/** The public key of a DPoP proof: only the members RFC 7638 hashes, nothing else from the header. */
export type DpopPublicJwk =
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string }
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string }

export type DpopKeyCheck =
  | {
      readonly ok: true
      readonly jwk: DpopPublicJwk
      /** The RFC 7638 thumbprint of `jwk` (RFC 9449 §6.1 `jkt`). */
      readonly jkt: string
      /** Verifies a JWS signature (Ed25519, or P-256 in the JWS `r‖s` form) by this key. */
      readonly verify: (signingInput: Uint8Array, signature: Uint8Array) => boolean
    }
  | { readonly ok: false; readonly detail: string }

// RFC 9449 §4.2: the jwk "MUST NOT contain a private key". `k` is the secret of an oct key (RFC 7518 §6.4).
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

// Imported keys by their public members. A client signs every proof with the same key, and importing a P-256
// point (decompression, on-curve check) costs about as much as verifying a signature; thumbprinting costs a
// hash. Only minimal JWKs (exactly the RFC 7638 members) are cached, so a cache hit skips no check that
// could apply to another member. Bounded; the oldest entry goes first.
const importedKeys = new Map<
  string,
  { readonly key: ImportedKey; readonly jkt: string; readonly jwk: DpopPublicJwk }
>()
const maxImportedKeys = 1024
type ImportedKey = ReturnType<typeof importVerificationJwk>['key']

function cacheKeyOf(members: Readonly<Record<string, unknown>>): string | undefined {
  const names = Object.keys(members)
  const { x, y } = members
  if (typeof x !== 'string') return undefined
  if (members.kty === 'OKP' && names.length === 3) return `OKP.${x}`
  if (members.kty === 'EC' && names.length === 4 && typeof y === 'string') return `EC.${x}.${y}`
  return undefined
}

const keyTypeFor = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
} as const

/**
 * Checks the `jwk` header of a DPoP proof for an algorithm and imports it: an object, no private member,
 * `kty`/`crv` exactly those of `alg` (OKP Ed25519 for EdDSA, EC P-256 for ES256), then the strict
 * `importVerificationJwk` (canonical base64url coordinates of the right length, a point on the curve).
 * Never throws for bad input; the `detail` of a refusal is fixed text that quotes nothing from the key.
 *
 * @example
 * const key = checkDpopKey(header.jwk, 'ES256')
 * if (key.ok && key.verify(signingInput, signature)) bindTokenTo(key.jkt)
 */
export function checkDpopKey(jwk: unknown, alg: DpopAlgorithm): DpopKeyCheck {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return { ok: false, detail: 'the jwk header is missing or not an object' }
  const members = jwk as Readonly<Record<string, unknown>>
  for (const name of privateMembers) {
    if (Object.hasOwn(members, name))
      return { ok: false, detail: 'the jwk header carries private key material' }
  }
  const expected = keyTypeFor[alg]
  if (members.kty !== expected.kty || members.crv !== expected.crv)
    return { ok: false, detail: `the jwk header is not an ${expected.kty} ${expected.crv} key for ${alg}` }
  const cacheKey = cacheKeyOf(members)
  const cached = cacheKey === undefined ? undefined : importedKeys.get(cacheKey)
  if (cached !== undefined) return acceptedKey(alg, cached.key, cached.jwk, cached.jkt)
  let imported: ReturnType<typeof importVerificationJwk>
  try {
    imported = importVerificationJwk(members)
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error
    return { ok: false, detail: 'the jwk header is not a valid public key' }
  }
  // Rebuilt from the checked members only; extra members (kid, alg, use…) never reach the caller.
  const x = members.x as string
  const publicJwk: DpopPublicJwk =
    expected.kty === 'OKP'
      ? { kty: 'OKP', crv: 'Ed25519', x }
      : { kty: 'EC', crv: 'P-256', x, y: members.y as string }
  const jwkFrozen = Object.freeze(publicJwk)
  const jkt = computeJwkThumbprint(publicJwk)
  if (cacheKey !== undefined) {
    if (importedKeys.size >= maxImportedKeys) importedKeys.delete(importedKeys.keys().next().value as string)
    importedKeys.set(cacheKey, { key: imported.key, jkt, jwk: jwkFrozen })
  }
  return acceptedKey(alg, imported.key, jwkFrozen, jkt)
}

function acceptedKey(alg: DpopAlgorithm, key: ImportedKey, jwk: DpopPublicJwk, jkt: string): DpopKeyCheck {
  return {
    ok: true,
    jwk,
    jkt,
    verify: (signingInput, signature) => isSignatureValid(alg, key, signingInput, signature),
  }
}
