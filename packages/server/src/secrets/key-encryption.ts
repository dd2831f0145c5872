/**
 * Encryption of signing keys at rest: AES-256-GCM under the key derived from the server secret, with the
 * key's `kid` as associated data. Binding the `kid` means a ciphertext copied onto another key's row (an
 * attacker with database write access swapping keys) fails to decrypt instead of signing under a wrong kid.
 *
 * Format: `v1.` + base64url(iv[12] ‖ tag[16] ‖ ciphertext). The version prefix lets a later format coexist.
 */
import { createCipheriv, createDecipheriv, randomBytes as cryptoRandomBytes } from 'node:crypto'
import { KeyDecryptionError } from './key-decryption-error.ts'

export { KeyDecryptionError } from './key-decryption-error.ts'

const formatPrefix = 'v1.'
const ivBytes = 12
const tagBytes = 16
const keyBytes = 32
const base64UrlPattern = /^[A-Za-z0-9_-]+$/

export interface KeyEncryptionOptions {
  /** The signing key's id; bound as associated data. */
  readonly kid: string
  /** The 32-byte key-encryption key (`deriveServerKeys(secret).keyEncryption`). */
  readonly key: Buffer
}

function associatedData(kid: string): Buffer {
  return Buffer.from(`tessera-signing-key:${kid}`, 'utf8')
}

function checkKey(key: Buffer): void {
  if (key.length !== keyBytes) throw new RangeError(`the key-encryption key must be ${keyBytes} bytes`)
}

/**
 * Encrypts a private key (PKCS#8 DER) for storage.
 *
 * @example
 * const stored = encryptPrivateKey(pkcs8, { kid, key: serverKeys.keyEncryption }) // 'v1.…'
 */
export function encryptPrivateKey(
  plaintext: Buffer,
  options: KeyEncryptionOptions & { readonly randomBytes?: (size: number) => Buffer },
): string {
  checkKey(options.key)
  // A fresh random 96-bit IV per key: GCM's security rests on never repeating (key, IV) (NIST SP 800-38D §8).
  const iv = (options.randomBytes ?? cryptoRandomBytes)(ivBytes)
  const cipher = createCipheriv('aes-256-gcm', options.key, iv, { authTagLength: tagBytes })
  cipher.setAAD(associatedData(options.kid))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return `${formatPrefix}${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`
}

/**
 * Decrypts a stored private key. Throws KeyDecryptionError when the format is unknown or malformed, or
 * when authentication fails (another secret, another kid, or altered bytes).
 *
 * @example
 * const pkcs8 = decryptPrivateKey(row.privateKeyCiphertext, { kid: row.kid, key: serverKeys.keyEncryption })
 */
export function decryptPrivateKey(ciphertext: string, options: KeyEncryptionOptions): Buffer {
  checkKey(options.key)
  if (!ciphertext.startsWith(formatPrefix)) throw new KeyDecryptionError('unsupported_version', options.kid)
  const encoded = ciphertext.slice(formatPrefix.length)
  const bytes = Buffer.from(encoded, 'base64url')
  // Buffer.from skips invalid characters; a round trip proves the text was canonical base64url.
  if (
    !base64UrlPattern.test(encoded) ||
    bytes.toString('base64url') !== encoded ||
    bytes.length <= ivBytes + tagBytes
  ) {
    throw new KeyDecryptionError('malformed', options.kid)
  }
  const decipher = createDecipheriv('aes-256-gcm', options.key, bytes.subarray(0, ivBytes), {
    authTagLength: tagBytes,
  })
  decipher.setAAD(associatedData(options.kid))
  decipher.setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes))
  try {
    return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()])
  } catch {
    // OpenSSL's message ("Unsupported state or unable to authenticate data") says nothing useful.
    throw new KeyDecryptionError('authentication_failed', options.kid)
  }
}
