/**
 * The JWS algorithms core understands (RFC 7518 §3, RFC 8037 for EdDSA), and what each one needs from a key
 * and a signature. Access tokens use only `EdDSA` (Ed25519) and `ES256`; the rest exist so that keys from
 * other issuers and the Wycheproof/RFC 7520 vectors can be verified with the same strict code.
 */
export type JwsAlgorithm =
  | 'EdDSA'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'HS256'
  | 'HS384'
  | 'HS512'

/** The algorithms an access token may be signed with (SPEC §2). */
export type AccessTokenAlgorithm = 'EdDSA' | 'ES256'

export const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = Object.freeze([
  'EdDSA',
  'ES256',
] as const)

export type AlgorithmFamily = 'eddsa' | 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' | 'hmac'

export interface AlgorithmProfile {
  readonly family: AlgorithmFamily
  /** The node:crypto digest name; `null` for EdDSA, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null
  /** The JWK `crv` an EC or OKP key must have. */
  readonly jwkCurve?: 'Ed25519' | 'P-256' | 'P-384' | 'P-521'
  /** The name node:crypto reports in `asymmetricKeyDetails.namedCurve`. */
  readonly namedCurve?: 'prime256v1' | 'secp384r1' | 'secp521r1'
  /**
   * Exact signature length in bytes, where the algorithm fixes it: IEEE P1363 `r‖s` for ECDSA
   * (RFC 7518 §3.4), 64 for Ed25519, the digest length for HMAC. RSA signatures are as long as the modulus.
   */
  readonly signatureBytes?: number
}

export const algorithmProfiles: { readonly [A in JwsAlgorithm]: AlgorithmProfile } = {
  EdDSA: { family: 'eddsa', hash: null, jwkCurve: 'Ed25519', signatureBytes: 64 },
  ES256: { family: 'ecdsa', hash: 'sha256', jwkCurve: 'P-256', namedCurve: 'prime256v1', signatureBytes: 64 },
  ES384: { family: 'ecdsa', hash: 'sha384', jwkCurve: 'P-384', namedCurve: 'secp384r1', signatureBytes: 96 },
  ES512: { family: 'ecdsa', hash: 'sha512', jwkCurve: 'P-521', namedCurve: 'secp521r1', signatureBytes: 132 },
  RS256: { family: 'rsa-pkcs1', hash: 'sha256' },
  RS384: { family: 'rsa-pkcs1', hash: 'sha384' },
  RS512: { family: 'rsa-pkcs1', hash: 'sha512' },
  PS256: { family: 'rsa-pss', hash: 'sha256' },
  PS384: { family: 'rsa-pss', hash: 'sha384' },
  PS512: { family: 'rsa-pss', hash: 'sha512' },
  HS256: { family: 'hmac', hash: 'sha256', signatureBytes: 32 },
  HS384: { family: 'hmac', hash: 'sha384', signatureBytes: 48 },
  HS512: { family: 'hmac', hash: 'sha512', signatureBytes: 64 },
}

/** RFC 8725 §3.5 and NIST SP 800-131A: RSA keys below 2048 bits are refused outright. */
export const MIN_RSA_MODULUS_BITS = 2048

/**
 * Tells whether a value names one of the JWS algorithms core implements. Case-sensitive, as RFC 7515
 * §4.1.1 requires: `es256` is not `ES256`.
 *
 * @example
 * isJwsAlgorithm('ES256') // true
 * isJwsAlgorithm('none')  // false
 */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(algorithmProfiles, value)
}

/**
 * Tells whether a value is an algorithm access tokens may use (`EdDSA` or `ES256`).
 *
 * @example
 * isAccessTokenAlgorithm('EdDSA') // true
 * isAccessTokenAlgorithm('RS256') // false
 */
export function isAccessTokenAlgorithm(value: unknown): value is AccessTokenAlgorithm {
  return value === 'EdDSA' || value === 'ES256'
}
