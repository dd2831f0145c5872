import type { ClientRecord } from '../store/ports.ts'
import { META_SCOPES } from './scopes.ts'
import { revokeSession, type SessionDeps } from './sessions.ts'
import type { TokenInspector } from './token-inspector.ts'

export interface TokenRevocationDeps {
  readonly inspector: TokenInspector
  readonly sessions: SessionDeps
  /** The client id of first-party (password login) sessions. */
  readonly firstPartyClientId: string
}

/**
 * - `revoked`: the token's session has ended (now or before);
 * - `ignored`: the token is unknown, invalid or already dead, which RFC 7009 §2.2 answers with 200 too;
 * - `not_permitted`: a live token that the requesting client may not revoke;
 * - `unsupported`: a live access token without a session (client-credentials, minted): it cannot be
 *   revoked before it expires (RFC 7009 §2.2.1 `unsupported_token_type`).
 */
export type TokenRevocationOutcome =
  | { readonly kind: 'revoked' }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'not_permitted' }
  | { readonly kind: 'unsupported' }

const REVOKED: TokenRevocationOutcome = { kind: 'revoked' }
const IGNORED: TokenRevocationOutcome = { kind: 'ignored' }
const NOT_PERMITTED: TokenRevocationOutcome = { kind: 'not_permitted' }

/**
 * RFC 7009 §2.1 has the server check that the token was issued to the requesting client. Tokens of
 * first-party sessions (password logins, client `tessera`) belong to no registered client; a client may
 * end them only with the `sessions:revoke` scope (an admin tool, an account-deletion service).
 */
function mayRevoke(client: ClientRecord, tokenClientId: string, firstPartyClientId: string): boolean {
  if (tokenClientId === client.id) return true
  return tokenClientId === firstPartyClientId && client.scopes.includes(META_SCOPES.revokeSessions)
}

/**
 * Revokes a token for an authenticated client (RFC 7009). A refresh token ends its whole session; an
 * access token ends the session named by its `sid` (RFC 7009 §2.1: access tokens of the same grant die
 * too), and guards learn of it through the revocation feed within a second.
 *
 * @example
 * const outcome = await revokeToken(deps, client, body.token)
 * if (outcome.kind === 'not_permitted') throw reject('insufficient_scope', { status: 403 })
 */
export async function revokeToken(
  deps: TokenRevocationDeps,
  client: ClientRecord,
  token: string,
): Promise<TokenRevocationOutcome> {
  const refresh = await deps.inspector.findRefreshToken(token)
  if (refresh) {
    const { session } = refresh
    const now = deps.sessions.clock.nowSeconds()
    if (session.state !== 'active' || session.expiresAt <= now) return IGNORED
    if (!mayRevoke(client, session.clientId, deps.firstPartyClientId)) return NOT_PERMITTED
    await revokeSession(deps.sessions, session.userId, session.id, 'token_revoked')
    return REVOKED
  }
  const check = deps.inspector.verifyAccessToken(token)
  if (!check.ok) return IGNORED
  const { claims } = check
  if ((await deps.inspector.checkLiveState(claims)) !== undefined) return IGNORED
  if (!mayRevoke(client, claims.client_id, deps.firstPartyClientId)) return NOT_PERMITTED
  if (claims.sid === undefined) return { kind: 'unsupported' }
  await revokeSession(deps.sessions, claims.sub, claims.sid, 'token_revoked')
  return REVOKED
}
