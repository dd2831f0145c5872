import { createHash } from 'node:crypto'
import {
  type AccessTokenClaims,
  type Clock,
  encodeBase64url,
  type RandomSource,
  signAccessToken,
} from '@tessera/core'
import type { KeyRing } from './key-ring.ts'

export interface TokenIssuerOptions {
  readonly ring: KeyRing
  readonly clock: Clock
  readonly random: RandomSource
  readonly issuer: string
  /** Audiences besides the issuer itself (the APIs that accept these tokens). */
  readonly audiences: readonly string[]
  readonly ttlSeconds: number
  readonly defaultScopes: readonly string[]
}

export interface AccessTokenRequest {
  readonly userId: string
  readonly sessionId: string
  readonly clientId: string
  /** SHA-256 (base64url) of the fingerprint cookie, for browser-mode tokens. */
  readonly fingerprintHash?: string
  /** RFC 7638 thumbprint of the client's DPoP key: the token gets `cnf.jkt` (RFC 9449 §6.1). */
  readonly dpopJkt?: string
}

export interface IssuedAccessToken {
  readonly accessToken: string
  /** Seconds until `exp`, as sent in `expires_in`. */
  readonly expiresIn: number
  readonly claims: AccessTokenClaims
}

/** Share of the lifetime that jitter may take off, so clients do not all refresh in lockstep (SPEC §2). */
const JITTER_SHARE = 0.05

/**
 * Hashes a fingerprint cookie value into the `fph` claim. The cookie is HttpOnly, so script that steals the
 * token cannot also read the value the hash must match (OWASP JWT cheat sheet, "token sidejacking").
 *
 * @example
 * const fph = hashFingerprint(cookieValue)
 */
export function hashFingerprint(value: string): string {
  return encodeBase64url(createHash('sha256').update(value).digest())
}

/**
 * Mints RFC 9068 access tokens with the ring's current key.
 *
 * @example
 * const issuer = createTokenIssuer(options)
 * const { accessToken, expiresIn } = issuer.issue({ userId, sessionId, clientId: 'tessera' })
 */
export function createTokenIssuer(options: TokenIssuerOptions): {
  issue(request: AccessTokenRequest): IssuedAccessToken
} {
  const audience = [options.issuer, ...options.audiences.filter((a) => a !== options.issuer)]
  const aud = audience.length === 1 ? options.issuer : audience
  const scope = options.defaultScopes.join(' ')
  const maxJitterSeconds = Math.floor(options.ttlSeconds * JITTER_SHARE)

  return {
    issue(request: AccessTokenRequest): IssuedAccessToken {
      const iat = options.clock.nowSeconds()
      const jitter =
        maxJitterSeconds === 0 ? 0 : options.random.bytes(4).readUInt32BE(0) % (maxJitterSeconds + 1)
      const exp = iat + options.ttlSeconds - jitter
      const claims: AccessTokenClaims = {
        iss: options.issuer,
        sub: request.userId,
        aud,
        exp,
        iat,
        jti: encodeBase64url(options.random.bytes(16)),
        client_id: request.clientId,
        sid: request.sessionId,
        scope,
        ...(request.fingerprintHash === undefined ? {} : { fph: request.fingerprintHash }),
        ...(request.dpopJkt === undefined ? {} : { cnf: { jkt: request.dpopJkt } }),
      }
      return { accessToken: signAccessToken(claims, options.ring.signingKey), expiresIn: exp - iat, claims }
    },
  }
}
