import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { type AccessTokenAlgorithm, isAccessTokenAlgorithm, type JwsAlgorithm } from './algorithms.ts'
import { MalformedTokenError, UnsupportedAlgorithmError } from './token-errors.ts'

/**
 * A key that verifies one algorithm. `key` is a public KeyObject (or a secret one for HS*), created once
 * when the key is loaded, so that verification never builds a KeyObject per token.
 */
export interface VerificationKey {
  readonly kid: string | undefined
  /** The key's one algorithm: a token whose header names another is refused (RFC 8725 §3.1). */
  readonly alg: JwsAlgorithm
  readonly key: KeyObject
}

/** A key that signs one algorithm. `key` is a private KeyObject (or a secret one for HS*). */
export interface SigningKey {
  readonly kid: string
  readonly alg: JwsAlgorithm
  readonly key: KeyObject
}

/**
 * Generates a fresh signing key for access tokens: Ed25519 for `EdDSA`, P-256 for `ES256`.
 *
 * @example
 * const key = generateSigningKey('EdDSA', 'k-2024-06')
 * const jwk = exportPublicJwk(key) // publish in the JWKS before signing with it
 */
export function generateSigningKey(alg: AccessTokenAlgorithm, kid: string): SigningKey {
  if (!isAccessTokenAlgorithm(alg)) throw new UnsupportedAlgorithmError('Access tokens use EdDSA or ES256')
  const { privateKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return Object.freeze({ kid, alg, key: privateKey })
}

/**
 * Derives the verification half of a signing key: the public key for EdDSA/ES*, the same secret for HS*.
 *
 * @example
 * const verificationKey = toVerificationKey(signingKey)
 * verifyAccessToken(token, { keys: () => verificationKey, ...rest })
 */
export function toVerificationKey(key: SigningKey): VerificationKey {
  const verifying = key.key.type === 'secret' ? key.key : createPublicKey(key.key)
  return Object.freeze({ kid: key.kid, alg: key.alg, key: verifying })
}

/**
 * Exports a signing key's private key as PKCS#8 DER, the form the key ring encrypts and stores.
 * Symmetric keys have no PKCS#8 form and are refused.
 *
 * @example
 * const der = exportPkcs8(key) // encrypt (AES-256-GCM, kid as AAD) before it reaches the store
 */
export function exportPkcs8(key: SigningKey): Buffer {
  if (key.key.type !== 'private') throw new UnsupportedAlgorithmError('Only asymmetric keys export as PKCS#8')
  return key.key.export({ format: 'der', type: 'pkcs8' })
}

/**
 * Imports a PKCS#8 DER private key as a signing key for `alg`, checking that the key really is of that
 * type (Ed25519 for `EdDSA`, P-256 for `ES256`) so a stored row cannot change the algorithm it signs with.
 * Throws `malformed` for bytes that are not PKCS#8, `unsupported_alg` for a key of another type.
 *
 * @example
 * const key = importPkcs8(der, 'EdDSA', 'k-2024-06') // der: the decrypted PKCS#8 bytes
 */
export function importPkcs8(der: Buffer, alg: AccessTokenAlgorithm, kid: string): SigningKey {
  if (!isAccessTokenAlgorithm(alg)) throw new UnsupportedAlgorithmError('Access tokens use EdDSA or ES256')
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch (error) {
    throw new MalformedTokenError('The key is not a PKCS#8 private key', { cause: error })
  }
  const fits =
    alg === 'EdDSA'
      ? privateKey.asymmetricKeyType === 'ed25519'
      : privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  if (!fits) throw new UnsupportedAlgorithmError(`The key does not fit ${alg}`)
  return Object.freeze({ kid, alg, key: privateKey })
}
