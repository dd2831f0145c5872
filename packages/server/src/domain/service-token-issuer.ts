import {
  type AccessTokenClaims,
  type Clock,
  encodeBase64url,
  type RandomSource,
  signAccessToken,
} from '@tessera/core'
import type { ClientRecord } from '../store/ports.ts'
import type { KeyRing } from './key-ring.ts'
import type { IssuedAccessToken } from './token-issuer.ts'

export interface ServiceTokenIssuerOptions {
  readonly ring: KeyRing
  readonly clock: Clock
  readonly random: RandomSource
  readonly issuer: string
  /** Audiences besides the issuer, as in user tokens. */
  readonly audiences: readonly string[]
  /** Lifetime of client-credentials tokens (the access-token lifetime). */
  readonly ttlSeconds: number
}

/** One token of a batch mint, already validated (see token-mint.ts). */
export interface MintedTokenRequest {
  readonly clientId: string
  readonly sub: string
  readonly aud: string | readonly string[]
  readonly scopes: readonly string[]
  readonly ttlSeconds: number
  readonly maxUses?: number
  readonly path?: string
}

export interface ServiceTokenIssuer {
  /** A client-credentials token: `sub` = `client_id` = the client, no `sid`, no refresh token. */
  /**
   * A client-credentials token; with `dpopJkt` (the client proved a DPoP key) it carries `cnf.jkt`
   * (RFC 9449 §5).
   */
  issueClientToken(
    client: ClientRecord,
    scopes: readonly string[],
    options?: { readonly dpopJkt?: string },
  ): IssuedAccessToken
  /** A minted token for a subject the minting client names; `client_id` is the minting client. */
  issueMintedToken(request: MintedTokenRequest): IssuedAccessToken
}

/** Share of the lifetime that jitter may take off client-credentials tokens, as for user tokens (SPEC §2). */
const JITTER_SHARE = 0.05

/**
 * Mints the access tokens that are not tied to a user session: client-credentials tokens (RFC 6749 §4.4)
 * and batch-minted tokens (POST /v1/tokens). Same key ring, claims profile (RFC 9068) and signer as user
 * tokens, so a guard tells them apart only by `sid` being absent.
 *
 * @example
 * const tokens = createServiceTokenIssuer(options)
 * const { accessToken, expiresIn } = tokens.issueClientToken(client, ['orders:read'])
 */
export function createServiceTokenIssuer(options: ServiceTokenIssuerOptions): ServiceTokenIssuer {
  const audience = [options.issuer, ...options.audiences.filter((a) => a !== options.issuer)]
  const defaultAud = audience.length === 1 ? options.issuer : audience
  const maxJitterSeconds = Math.floor(options.ttlSeconds * JITTER_SHARE)

  function sign(claims: AccessTokenClaims): IssuedAccessToken {
    return {
      accessToken: signAccessToken(claims, options.ring.signingKey),
      expiresIn: claims.exp - claims.iat,
      claims,
    }
  }

  function newJti(): string {
    return encodeBase64url(options.random.bytes(16))
  }

  return {
    issueClientToken(client, scopes, tokenOptions = {}) {
      const iat = options.clock.nowSeconds()
      const jitter =
        maxJitterSeconds === 0 ? 0 : options.random.bytes(4).readUInt32BE(0) % (maxJitterSeconds + 1)
      return sign({
        iss: options.issuer,
        // RFC 9700 §4.15: `cli_…` can never equal a user's `usr_…`, so this sub cannot pass for a user.
        sub: client.id,
        aud: defaultAud,
        exp: iat + options.ttlSeconds - jitter,
        iat,
        jti: newJti(),
        client_id: client.id,
        ...(scopes.length === 0 ? {} : { scope: scopes.join(' ') }),
        ...(tokenOptions.dpopJkt === undefined ? {} : { cnf: { jkt: tokenOptions.dpopJkt } }),
      })
    },
    issueMintedToken(request) {
      const iat = options.clock.nowSeconds()
      return sign({
        iss: options.issuer,
        sub: request.sub,
        aud: request.aud,
        // No jitter: the caller chose this lifetime for its own reasons (a link valid for 60 s).
        exp: iat + request.ttlSeconds,
        iat,
        jti: newJti(),
        client_id: request.clientId,
        ...(request.scopes.length === 0 ? {} : { scope: request.scopes.join(' ') }),
        ...(request.maxUses === undefined ? {} : { max_uses: request.maxUses }),
        ...(request.path === undefined ? {} : { path: request.path }),
      })
    },
  }
}
