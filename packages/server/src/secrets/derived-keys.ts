/**
 * The keys derived from the server secret. Each purpose gets its own key (RFC 5869 §3.2: distinct `info`
 * values give independent keys), so a weakness in one use, say a tag oracle on refresh tokens, reveals
 * nothing about the key that encrypts signing keys. The labels carry a version so a future change of
 * derivation can coexist with keys derived today.
 */
import { hkdfSync } from 'node:crypto'

export interface ServerKeys {
  /** AES-256-GCM key that encrypts signing keys at rest. */
  readonly keyEncryption: Buffer
  /** HMAC-SHA256 key of the refresh-token integrity tag. */
  readonly refreshTokenTag: Buffer
  /** HMAC-SHA256 key that derives a rotated refresh token's successor. */
  readonly refreshTokenRotation: Buffer
  /** HMAC-SHA256 key that derives an OIDC login's PKCE verifier and nonce from its browser cookie. */
  readonly oidcBinding: Buffer
  /** HMAC-SHA256 key of the stateless DPoP nonces every instance can check (RFC 9449 §8). */
  readonly dpopNonce: Buffer
  /** HMAC-SHA256 key of the device cookie that gives a known browser its own login throttle bucket. */
  readonly deviceCookie: Buffer
  /** HMAC-SHA256 key of the account pseudonyms in the security record (failed sign-ins name no email). */
  readonly securityRecordAccount: Buffer
}

// A fixed salt is fine here (RFC 5869 §3.1): the secret is already uniformly random or operator-chosen
// high-entropy input, and the salt only separates Tessera's derivations from any other use of it.
const salt = 'tessera'
const keyBytes = 32

export const serverKeyLabels = {
  keyEncryption: 'tessera key-encryption v1',
  refreshTokenTag: 'tessera refresh-token-tag v1',
  refreshTokenRotation: 'tessera refresh-token-rotation v1',
  oidcBinding: 'tessera oidc-binding v1',
  dpopNonce: 'tessera dpop-nonce v1',
  deviceCookie: 'tessera device-cookie v1',
  securityRecordAccount: 'tessera security-record-account v1',
} as const satisfies Record<keyof ServerKeys, string>

function derive(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, keyBytes))
}

/**
 * Derives the per-purpose 32-byte keys from the server secret with HKDF-SHA256.
 *
 * @example
 * const keys = deriveServerKeys(loadServerSecret({ configured: config.secret, dataDir: config.dataDir, warn }))
 * keys.keyEncryption.length // 32
 */
export function deriveServerKeys(secret: Buffer): ServerKeys {
  return Object.freeze({
    keyEncryption: derive(secret, serverKeyLabels.keyEncryption),
    refreshTokenTag: derive(secret, serverKeyLabels.refreshTokenTag),
    refreshTokenRotation: derive(secret, serverKeyLabels.refreshTokenRotation),
    oidcBinding: derive(secret, serverKeyLabels.oidcBinding),
    dpopNonce: derive(secret, serverKeyLabels.dpopNonce),
    deviceCookie: derive(secret, serverKeyLabels.deviceCookie),
    securityRecordAccount: derive(secret, serverKeyLabels.securityRecordAccount),
  })
}
