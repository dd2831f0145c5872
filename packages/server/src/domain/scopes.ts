/**
 * Scopes (RFC 6749 §3.3): space-delimited, case-sensitive scope tokens. Clients hold a set of them; some
 * are *meta scopes* that let a client call Tessera itself (introspect, mint, read the revocation feed …).
 * Meta scopes authorise calls made with the client's own secret and never go into an access token: a
 * resource server must not read `tokens:mint` in a token as a grant of anything.
 */

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), bounded so a scope list stays small. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/
/** Most scope tokens in one list (a client's scopes, a `scope` parameter). */
export const MAX_SCOPES = 64

/** The meta scopes and what each one lets a client do. */
export const META_SCOPES = Object.freeze({
  /** POST /oauth/introspect (RFC 7662). */
  introspect: 'tokens:introspect',
  /** POST /oauth/revoke of first-party (`tessera`) session tokens. */
  revokeSessions: 'sessions:revoke',
  /** POST /v1/tokens: batch minting. */
  mint: 'tokens:mint',
  /** POST /v1/tokens with `sub` = an existing user's id (`usr_…`). */
  mintForUsers: 'tokens:mint_users',
  /** GET /v1/revocations: the revocation feed. */
  readRevocations: 'revocations:read',
  /** POST /v1/token-uses: `max_uses` counters. */
  consumeTokens: 'tokens:consume',
  /** GET /v1/admin/events: the security record. */
  readEvents: 'events:read',
} as const)

export type MetaScope = (typeof META_SCOPES)[keyof typeof META_SCOPES]

const META_SCOPE_SET: ReadonlySet<string> = new Set(Object.values(META_SCOPES))

/**
 * Whether a value is one RFC 6749 §3.3 scope token (1–128 characters).
 *
 * @example
 * isScopeToken('orders:read') // true; isScopeToken('a b') and isScopeToken('"x"') are false
 */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/**
 * Whether a scope authorises calls to Tessera itself rather than to a resource server.
 *
 * @example
 * isMetaScope('tokens:mint') // true
 */
export function isMetaScope(scope: string): boolean {
  return META_SCOPE_SET.has(scope)
}

/**
 * Parses a `scope` parameter: scope tokens separated by single spaces (RFC 6749 §3.3 allows nothing
 * else), at most {@link MAX_SCOPES}. Returns the sorted, de-duplicated list, or undefined when the text
 * is not a valid scope list. The empty string is the empty list.
 *
 * @example
 * parseScopeList('orders:write orders:read') // ['orders:read', 'orders:write']
 * parseScopeList('a  b') // undefined (two spaces)
 */
export function parseScopeList(text: string): string[] | undefined {
  if (text === '') return []
  const scopes = text.split(' ')
  if (scopes.length > MAX_SCOPES || !scopes.every(isScopeToken)) return undefined
  return [...new Set(scopes)].sort()
}

/**
 * The scopes of `requested` that `granted` does not hold.
 *
 * @example
 * missingScopes(['a', 'c'], ['a', 'b']) // ['c']
 */
export function missingScopes(requested: readonly string[], granted: readonly string[]): string[] {
  const held = new Set(granted)
  return requested.filter((scope) => !held.has(scope))
}

/**
 * The scopes a client may put into access tokens: its own, minus meta scopes.
 *
 * @example
 * grantableScopes(['orders:read', 'tokens:mint']) // ['orders:read']
 */
export function grantableScopes(clientScopes: readonly string[]): string[] {
  return clientScopes.filter((scope) => !isMetaScope(scope))
}
