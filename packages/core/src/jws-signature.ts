import { constants, createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto'
import { algorithmProfiles, type JwsAlgorithm, MIN_RSA_MODULUS_BITS } from './algorithms.ts'

/**
 * The signature primitive under every JWS: one synchronous `node:crypto` call per algorithm, with the key and
 * the signature length checked first. The length rule matters: RFC 7518 §3.4 fixes ECDSA signatures to the
 * IEEE P1363 form `r‖s` of exactly twice the field size, so DER-encoded, truncated, zero-padded or
 * overlong signatures are refused before OpenSSL sees them.
 */

// What a key was found fit for, so the type/curve/modulus inspection runs once per key, not per token.
// Keyed on the KeyObject itself, so it holds key metadata only and never anything about a token.
const inspectedKeys = new WeakMap<
  KeyObject,
  { readonly alg: JwsAlgorithm; readonly signatureBytes: number }
>()

/**
 * The signature length `alg` demands from `key`, or `undefined` when the key cannot verify `alg` at all
 * (wrong key type, wrong curve, RSA below 2048 bits, HMAC key shorter than the digest — RFC 7518 §3.2).
 *
 * @example
 * signatureBytesFor('ES256', p256PublicKey) // 64
 * signatureBytesFor('ES256', ed25519PublicKey) // undefined
 */
export function signatureBytesFor(alg: JwsAlgorithm, key: KeyObject): number | undefined {
  const known = inspectedKeys.get(key)
  if (known !== undefined && known.alg === alg) return known.signatureBytes
  const signatureBytes = inspectKey(alg, key)
  if (signatureBytes !== undefined) inspectedKeys.set(key, { alg, signatureBytes })
  return signatureBytes
}

function inspectKey(alg: JwsAlgorithm, key: KeyObject): number | undefined {
  const profile = algorithmProfiles[alg]
  if (profile.family === 'hmac') {
    const keyBytes = key.type === 'secret' ? (key.symmetricKeySize ?? 0) : 0
    return keyBytes >= (profile.signatureBytes ?? Number.POSITIVE_INFINITY)
      ? profile.signatureBytes
      : undefined
  }
  if (key.type !== 'public') return undefined
  const details = key.asymmetricKeyDetails
  switch (profile.family) {
    case 'eddsa':
      return key.asymmetricKeyType === 'ed25519' ? profile.signatureBytes : undefined
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === profile.namedCurve
        ? profile.signatureBytes
        : undefined
    default: {
      const bits = key.asymmetricKeyType === 'rsa' ? (details?.modulusLength ?? 0) : 0
      return bits >= MIN_RSA_MODULUS_BITS ? Math.ceil(bits / 8) : undefined
    }
  }
}

/**
 * Checks a JWS signature over `data` with a verification key (public, or secret for HS*). Returns false —
 * never throws — when the key does not fit `alg`, the signature has the wrong length, or it does not verify.
 * HMAC tags are compared in constant time.
 *
 * @example
 * const ok = isSignatureValid('EdDSA', publicKey, Buffer.from(signingInput, 'latin1'), signature)
 */
export function isSignatureValid(
  alg: JwsAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const expectedBytes = signatureBytesFor(alg, key)
  if (expectedBytes === undefined || signature.byteLength !== expectedBytes) return false
  const profile = algorithmProfiles[alg]
  try {
    switch (profile.family) {
      case 'eddsa':
        return verify(null, data, key, signature)
      case 'ecdsa':
        return verify(profile.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      case 'rsa-pkcs1':
        return verify(profile.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
      case 'rsa-pss':
        // RFC 7518 §3.5: the salt is exactly as long as the digest; AUTO would accept any salt length.
        return verify(
          profile.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        )
      case 'hmac': {
        const tag = createHmac(profile.hash ?? 'sha256', key)
          .update(data)
          .digest()
        return timingSafeEqual(tag, signature)
      }
    }
  } catch {
    // OpenSSL refusing the input (a malformed point, a key it cannot use) is a failed verification.
    return false
  }
}

/**
 * Signs `data` for a JWS with a private (or, for HS*, secret) key, producing the JOSE signature form:
 * IEEE P1363 `r‖s` for ECDSA, raw for EdDSA, RSA and HMAC.
 *
 * @example
 * const signature = createSignature('ES256', privateKey, Buffer.from(signingInput, 'latin1'))
 */
export function createSignature(alg: JwsAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  const profile = algorithmProfiles[alg]
  switch (profile.family) {
    case 'eddsa':
      return sign(null, data, key)
    case 'ecdsa':
      return sign(profile.hash, data, { key, dsaEncoding: 'ieee-p1363' })
    case 'rsa-pkcs1':
      return sign(profile.hash, data, { key, padding: constants.RSA_PKCS1_PADDING })
    case 'rsa-pss':
      return sign(profile.hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      })
    case 'hmac':
      return createHmac(profile.hash ?? 'sha256', key)
        .update(data)
        .digest()
  }
}
