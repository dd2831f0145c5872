import type { TokenInspector } from './token-inspector.ts'

/** RFC 7662 §2.2: an inactive token is `{"active": false}` and nothing else, whatever the cause. */
export interface InactiveIntrospection {
  readonly active: false
}

export interface ActiveIntrospection {
  readonly active: true
  /** `Bearer` or `DPoP` (bound, RFC 9449 §6.2) for access tokens, `refresh_token` for refresh tokens. */
  readonly token_type: 'Bearer' | 'DPoP' | 'refresh_token'
  readonly iss: string
  readonly sub: string
  readonly client_id: string
  readonly exp: number
  readonly iat: number
  readonly scope?: string
  readonly aud?: string | readonly string[]
  readonly jti?: string
  readonly sid?: string
  readonly max_uses?: number
  readonly path?: string
  /** The DPoP key thumbprint a bound token or session is tied to (RFC 9449 §6.2). */
  readonly cnf?: { readonly jkt: string }
}

export type IntrospectionResponse = InactiveIntrospection | ActiveIntrospection

export interface IntrospectionOptions {
  readonly issuer: string
  /** The scopes of first-party session tokens (the configured default scopes). */
  readonly sessionScopes: readonly string[]
}

const INACTIVE: InactiveIntrospection = Object.freeze({ active: false })

/**
 * Answers RFC 7662 introspection for any token this server issued. Access tokens pass core's strict
 * verification and then the live state (session, user not-before, client); a refresh token is active
 * only while it is its session's live token (a rotated one inside the grace window is not). Anything
 * else — garbage, a foreign token, an expired or revoked one — is exactly `{"active": false}`, so the
 * endpoint says nothing about why (RFC 7662 §2.2, §4). The format tells the two kinds apart (`tsr_…` vs.
 * a JWS), so `token_type_hint` is not needed.
 *
 * @example
 * const answer = await introspectToken(inspector, body.token, { issuer, sessionScopes: [] })
 */
export async function introspectToken(
  inspector: TokenInspector,
  token: string,
  options: IntrospectionOptions,
): Promise<IntrospectionResponse> {
  const refresh = await inspector.findRefreshToken(token)
  if (refresh) {
    if (!refresh.isLive) return INACTIVE
    return {
      active: true,
      token_type: 'refresh_token',
      iss: options.issuer,
      sub: refresh.session.userId,
      client_id: refresh.session.clientId,
      exp: refresh.token.expiresAt,
      iat: refresh.token.createdAt,
      sid: refresh.session.id,
      ...(refresh.session.dpopJkt === null ? {} : { cnf: { jkt: refresh.session.dpopJkt } }),
      ...(options.sessionScopes.length === 0 ? {} : { scope: options.sessionScopes.join(' ') }),
    }
  }
  const check = inspector.verifyAccessToken(token)
  if (!check.ok) return INACTIVE
  const { claims } = check
  if ((await inspector.checkLiveState(claims)) !== undefined) return INACTIVE
  return {
    active: true,
    token_type: claims.cnf?.jkt === undefined ? 'Bearer' : 'DPoP',
    iss: claims.iss,
    sub: claims.sub,
    client_id: claims.client_id,
    exp: claims.exp,
    iat: claims.iat,
    aud: claims.aud,
    jti: claims.jti,
    ...(claims.scope === undefined || claims.scope === '' ? {} : { scope: claims.scope }),
    ...(claims.sid === undefined ? {} : { sid: claims.sid }),
    ...(claims.max_uses === undefined ? {} : { max_uses: claims.max_uses }),
    ...(claims.path === undefined ? {} : { path: claims.path }),
    ...(claims.cnf?.jkt === undefined ? {} : { cnf: { jkt: claims.cnf.jkt } }),
  }
}
