import {
  type AccessTokenAlgorithm,
  importVerificationJwk,
  isJsonObject,
  TesseraError,
  type VerificationKey,
} from '@tessera/core'

/** The verification keys of a JWKS, by `kid`, plus how many of its entries were unusable. */
export interface ImportedKeySet {
  readonly keys: ReadonlyMap<string, VerificationKey>
  readonly skipped: number
}

/**
 * Imports a JWK set (RFC 7517 §5) through core's strict `importVerificationJwk`. One bad entry does not
 * poison the set: a key that is malformed, of an unsupported type, without a `kid`, for an algorithm this
 * guard does not accept, or a second key under a `kid` already seen is skipped and counted, so an issuer
 * that publishes a key type from the future keeps working for the keys we know.
 *
 * @example
 * const { keys } = importKeySet({ keys: [exportPublicJwk(signingKey)] }, ['EdDSA'])
 * keys.get(signingKey.kid)?.alg // 'EdDSA'
 */
export function importKeySet(jwks: unknown, algorithms: readonly AccessTokenAlgorithm[]): ImportedKeySet {
  if (!isJsonObject(jwks) || !Array.isArray(jwks.keys)) return { keys: new Map(), skipped: 0 }
  const keys = new Map<string, VerificationKey>()
  let skipped = 0
  for (const jwk of jwks.keys as readonly unknown[]) {
    const key = importOne(jwk)
    const accepted: readonly string[] = algorithms
    if (key === undefined || key.kid === undefined || !accepted.includes(key.alg) || keys.has(key.kid)) {
      skipped++
      continue
    }
    keys.set(key.kid, key)
  }
  return { keys, skipped }
}

function importOne(jwk: unknown): VerificationKey | undefined {
  try {
    return importVerificationJwk(jwk)
  } catch (error) {
    if (error instanceof TesseraError) return undefined
    throw error
  }
}
