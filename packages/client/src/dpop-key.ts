/**
 * The client's DPoP key (RFC 9449): a WebCrypto key pair whose private half cannot be exported. An
 * injected script or a heap dump that reaches the `CryptoKey` object can at most sign with it while the
 * page or process runs; it can never carry the key away and keep proving possession elsewhere — which is
 * the whole point of binding tokens to a key (RFC 9449 §2, "Objectives").
 */

/** The proof algorithms the client signs with: asymmetric only (RFC 9449 §4.2), ES256 by default. */
export type DpopAlgorithm = 'ES256' | 'EdDSA'

/** `crypto.subtle`, typed by whichever WebCrypto declarations the program compiles against (DOM or Node). */
export type WebCryptoSubtle = typeof globalThis.crypto.subtle

/** A WebCrypto `CryptoKey` (the DOM's or Node's type, whichever the program compiles against). */
export type WebCryptoKey = Parameters<WebCryptoSubtle['sign']>[1]

/** A WebCrypto `CryptoKeyPair` to prove possession with; its private key must not be extractable. */
export interface DpopKeyPair {
  readonly publicKey: WebCryptoKey
  readonly privateKey: WebCryptoKey
}

/** The public key as it goes into a proof header: the RFC 7638 members, never a private one (§4.2). */
export type DpopPublicJwk =
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string }

/** What signs proofs: the private key (usable, not readable), its public JWK and the WebCrypto to use. */
export interface DpopSigningKey {
  readonly alg: DpopAlgorithm
  readonly privateKey: WebCryptoKey
  readonly publicJwk: DpopPublicJwk
  readonly subtle: WebCryptoSubtle
}

const generateParams = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
} as const

/**
 * `crypto.subtle`, or a TypeError: browsers offer it only in secure contexts (https, localhost).
 *
 * @example
 * const subtle = requireWebCrypto()
 */
export function requireWebCrypto(): WebCryptoSubtle {
  const subtle = (globalThis as { crypto?: { subtle?: WebCryptoSubtle } }).crypto?.subtle
  if (subtle === undefined)
    throw new TypeError('tessera: dpop needs WebCrypto (crypto.subtle), which browsers offer only over https')
  return subtle
}

function algorithmOf(key: WebCryptoKey): DpopAlgorithm | undefined {
  const algorithm: { readonly name?: unknown; readonly namedCurve?: unknown } = key.algorithm
  if (algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256') return 'ES256'
  if (algorithm.name === 'Ed25519') return 'EdDSA'
  return undefined
}

function isCryptoKeyLike(value: unknown): value is WebCryptoKey {
  if (typeof value !== 'object' || value === null) return false
  const { type, extractable, algorithm, usages } = value as Record<string, unknown>
  return (
    typeof type === 'string' &&
    typeof extractable === 'boolean' &&
    typeof algorithm === 'object' &&
    algorithm !== null &&
    Array.isArray(usages)
  )
}

/**
 * Checks a caller's key pair before any request and returns its algorithm: an ECDSA P-256 or Ed25519 pair
 * (matching `alg` when given), a private key that is **not extractable** and may `sign`, and a public key
 * that can be exported (its JWK goes into every proof). Throws a TypeError naming the option otherwise.
 * It cannot tell synchronously whether the two halves belong together; a mismatched pair makes proofs the
 * server refuses (`dpop_invalid`).
 *
 * @example
 * const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
 * checkDpopKeyPair(pair, undefined) // 'EdDSA'
 */
export function checkDpopKeyPair(keyPair: unknown, alg: DpopAlgorithm | undefined): DpopAlgorithm {
  const { privateKey, publicKey } = (typeof keyPair === 'object' && keyPair !== null ? keyPair : {}) as {
    privateKey?: unknown
    publicKey?: unknown
  }
  if (!isCryptoKeyLike(privateKey) || !isCryptoKeyLike(publicKey))
    throw new TypeError('tessera: dpop.keyPair must be a WebCrypto CryptoKeyPair')
  if (privateKey.type !== 'private' || publicKey.type !== 'public')
    throw new TypeError('tessera: dpop.keyPair must hold a private and a public key')
  // An extractable private key can be exported by any script that reaches it, and replayed from anywhere.
  if (privateKey.extractable)
    throw new TypeError('tessera: dpop.keyPair.privateKey must not be extractable (generateKey(…, false, …))')
  if (!privateKey.usages.includes('sign'))
    throw new TypeError("tessera: dpop.keyPair.privateKey must allow the 'sign' usage")
  if (!publicKey.extractable)
    throw new TypeError('tessera: dpop.keyPair.publicKey must be extractable: its JWK goes into every proof')
  const keyAlg = algorithmOf(privateKey)
  if (keyAlg === undefined || algorithmOf(publicKey) !== keyAlg)
    throw new TypeError('tessera: dpop.keyPair must be an ECDSA P-256 (ES256) or an Ed25519 (EdDSA) pair')
  if (alg !== undefined && alg !== keyAlg)
    throw new TypeError(`tessera: dpop.keyPair is an ${keyAlg} key pair, but dpop.alg is '${alg}'`)
  return keyAlg
}

/**
 * Generates the client's key pair with `extractable: false`. The public key of a generated pair is always
 * exportable (the WebCrypto "generate key" steps
 * of ECDSA and Ed25519 set it so); the private one never. A runtime without the algorithm (Ed25519 is
 * missing from older browsers) rejects with a TypeError.
 *
 * @example
 * const signingKey = await generateDpopSigningKey('ES256')
 */
export async function generateDpopSigningKey(
  alg: DpopAlgorithm,
  subtle: WebCryptoSubtle = requireWebCrypto(),
): Promise<DpopSigningKey> {
  let generated: Awaited<ReturnType<WebCryptoSubtle['generateKey']>>
  try {
    generated = await subtle.generateKey(generateParams[alg], false, ['sign', 'verify'])
  } catch (error) {
    throw new TypeError(
      `tessera: this runtime's WebCrypto cannot generate ${alg} keys; use dpop.alg 'ES256'`,
      {
        cause: error,
      },
    )
  }
  if (!('privateKey' in generated)) throw new TypeError(`tessera: WebCrypto returned no ${alg} key pair`)
  return adoptDpopKeyPair(generated, alg, subtle)
}

/**
 * Prepares a checked key pair (see {@link checkDpopKeyPair}) for signing: exports the public JWK once and
 * keeps only its RFC 7638 members, so nothing else of the export (`key_ops`, `ext`, and above all no `d`)
 * can reach a proof header.
 *
 * @example
 * const signingKey = await adoptDpopKeyPair(pair, checkDpopKeyPair(pair, undefined))
 */
export async function adoptDpopKeyPair(
  keyPair: DpopKeyPair,
  alg: DpopAlgorithm,
  subtle: WebCryptoSubtle = requireWebCrypto(),
): Promise<DpopSigningKey> {
  let exported: { readonly kty?: unknown; readonly crv?: unknown; readonly x?: unknown; readonly y?: unknown }
  try {
    exported = await subtle.exportKey('jwk', keyPair.publicKey)
  } catch (error) {
    throw new TypeError('tessera: dpop.keyPair.publicKey could not be exported as a JWK', { cause: error })
  }
  const { kty, crv, x, y } = exported
  let publicJwk: DpopPublicJwk | undefined
  if (alg === 'ES256' && kty === 'EC' && crv === 'P-256' && typeof x === 'string' && typeof y === 'string')
    publicJwk = { kty, crv, x, y }
  if (alg === 'EdDSA' && kty === 'OKP' && crv === 'Ed25519' && typeof x === 'string')
    publicJwk = { kty, crv, x }
  if (publicJwk === undefined) throw new TypeError(`tessera: dpop.keyPair.publicKey is not an ${alg} key`)
  return { alg, privateKey: keyPair.privateKey, publicJwk, subtle }
}
