import {
  type AccessTokenCheck,
  type AccessTokenClaims,
  type Clock,
  checkAccessToken,
  isJsonObject,
  parseCompactJws,
  parseStrictJsonBytes,
} from '@tessera/core'
import type { RefreshTokenRecord, SessionRecord, Store, UserRecord } from '../store/ports.ts'
import { isId } from './ids.ts'
import type { KeyRing } from './key-ring.ts'
import { hashRefreshToken, parseRefreshToken, type RefreshTokenKeys } from './refresh-token-format.ts'

export interface TokenInspectorOptions {
  readonly store: Store
  readonly clock: Clock
  readonly ring: KeyRing
  readonly issuer: string
  /** Longest lifetime of any token this server issues: user, client-credentials or minted. */
  readonly maxLifetimeSeconds: number
  readonly leewaySeconds: number
  readonly refreshKeys: RefreshTokenKeys
  /** The first-party client: its tokens have no client row to check. */
  readonly firstPartyClientId: string
}

/** Why an otherwise well-signed access token is no longer live. */
export type LiveTokenReason = 'session_revoked' | 'revoked'

/** A refresh token found in the store, with its session. */
export interface FoundRefreshToken {
  readonly token: RefreshTokenRecord
  readonly session: SessionRecord
  /** Whether it is the session's live token: active, unexpired, session active, user not barred. */
  readonly isLive: boolean
}

export interface TokenInspector {
  /**
   * Verifies an access token this server issued (core's strict rules), whatever its audience: an
   * introspecting or revoking client is not the token's audience, the resource server checks `aud`.
   */
  verifyAccessToken(token: string): AccessTokenCheck
  /** Checks a verified token against live state: session, user (disabled, not-before) and client. */
  checkLiveState(claims: AccessTokenClaims): Promise<LiveTokenReason | undefined>
  /** Finds a refresh token by its text; undefined for anything this server did not mint or no longer has. */
  findRefreshToken(text: string): Promise<FoundRefreshToken | undefined>
}

/** The token's own `aud`, read before verification only to tell core which audience to accept. */
function audienceOf(token: string): string | readonly string[] {
  try {
    const payload = parseStrictJsonBytes(parseCompactJws(token).payload)
    const aud = isJsonObject(payload) ? payload.aud : undefined
    if (typeof aud === 'string') return aud
    if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[]
  } catch {
    // The full check below rejects it with the precise reason.
  }
  return []
}

function isUserBarred(user: UserRecord | undefined, issuedAt: number): boolean {
  return !user || user.disabled || (user.notBeforeAt !== null && issuedAt < user.notBeforeAt)
}

/**
 * The server's view of tokens it issued, for introspection, revocation and `tessera token inspect`:
 * strict verification through core, then the live state only the auth server has.
 *
 * @example
 * const inspector = createTokenInspector(options)
 * const check = inspector.verifyAccessToken(token)
 * if (check.ok && (await inspector.checkLiveState(check.claims)) === undefined) { … active … }
 */
export function createTokenInspector(options: TokenInspectorOptions): TokenInspector {
  const { store, clock } = options
  return {
    verifyAccessToken(token) {
      return checkAccessToken(token, {
        keys: (header) => options.ring.resolve(header.kid),
        issuer: options.issuer,
        // The signature covers `aud`, so accepting the token's own value skips only the audience rule.
        audience: audienceOf(token),
        maxLifetimeSeconds: options.maxLifetimeSeconds,
        leewaySeconds: options.leewaySeconds,
        clock,
      })
    },

    async checkLiveState(claims) {
      const now = clock.nowSeconds()
      if (claims.sid !== undefined) {
        const session = await store.sessions.findById(claims.sid)
        const isLive =
          session !== undefined &&
          session.state === 'active' &&
          session.expiresAt > now &&
          session.userId === claims.sub &&
          session.clientId === claims.client_id
        if (!isLive) return 'session_revoked'
      }
      if (isId('usr', claims.sub) && isUserBarred(await store.users.findById(claims.sub), claims.iat)) {
        return 'revoked'
      }
      if (claims.client_id !== options.firstPartyClientId) {
        const client = isId('cli', claims.client_id)
          ? await store.clients.findById(claims.client_id)
          : undefined
        if (!client || client.disabled) return 'revoked'
      }
      return undefined
    },

    async findRefreshToken(text) {
      const parsed = parseRefreshToken(text, options.refreshKeys)
      if (!parsed) return undefined
      const token = await store.sessions.findRefreshToken(hashRefreshToken(parsed.text))
      if (!token) return undefined
      const session = await store.sessions.findById(token.sessionId)
      if (!session) return undefined
      const now = clock.nowSeconds()
      const isTokenLive =
        token.state === 'active' &&
        token.expiresAt > now &&
        session.state === 'active' &&
        session.expiresAt > now
      // As refresh-rotation.ts: a not-before after the session began bars the whole session.
      const isLive =
        isTokenLive && !isUserBarred(await store.users.findById(session.userId), session.createdAt)
      return { token, session, isLive }
    },
  }
}
