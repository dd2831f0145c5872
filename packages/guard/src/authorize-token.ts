import {
  type AccessTokenClaims,
  type AccessTokenVerifyOptions,
  checkAccessToken,
  TesseraError,
} from '@tessera/core'
import { type AuthContext, createAuthContext } from './auth-context.ts'
import type { BindingCheck, BindingRequest } from './binding-checks.ts'
import { checkClaimFreshness } from './claim-freshness.ts'
import type { DpopCheck } from './dpop-check.ts'
import { GuardError, toGuardError } from './guard-errors.ts'
import type { ResolvedGuardOptions } from './guard-options.ts'
import type { KeySource } from './key-source.ts'
import type { RevocationGate } from './revocation-gate.ts'
import { checkScopes, type RoutePolicy, readScopes } from './route-policy.ts'
import type { TokenCache } from './token-cache.ts'
import type { TokenUseCounter } from './token-uses.ts'

/**
 * Decides one request: the caller's context, or a thrown `GuardError`. Synchronous whenever nothing has to
 * wait (keys loaded, no first snapshot pending, no `max_uses`, no DPoP proof), which is nearly every request: a promise —
 * and its microtask hops — only when the decision really waits on the network.
 */
export type Authorize = (
  token: string,
  policy: RoutePolicy,
  request: BindingRequest,
) => AuthContext | Promise<AuthContext>

export interface AuthorizerParts {
  readonly options: ResolvedGuardOptions
  readonly keys: KeySource
  readonly cache: TokenCache
  readonly revocation: RevocationGate
  readonly bindings: readonly BindingCheck[]
  /** RFC 9449 DPoP: runs after the synchronous bindings, first sight or cache hit alike. */
  readonly checkDpop: DpopCheck
  readonly consumeUse: TokenUseCounter
}

/**
 * The guard's decision, in a fixed order so that every token gets one deterministic reason:
 * 1. keys loaded (a request waits for the first JWKS fetch, bounded, else 503);
 * 2. the token: from the cache (a hit skips only signature and parse; audience, `exp`, `nbf`/`iat` and
 *    `maxAge` are applied again), else core's `checkAccessToken` — an unknown `kid` may trigger one JWKS
 *    refetch (at most one per cooldown) and one retry;
 * 3. revocation (in memory; 503 while a closed guard's feed is silent);
 * 4. binding checks (path, fingerprint cookie), then DPoP (the proof verified, its `jti` recorded — the
 *    one step that may wait, on the replay register) — authentication, so before authorisation;
 * 5. scopes (403);
 * 6. last, `max_uses` consumption at the auth server, so that a request refused for any other reason never
 *    spends a use.
 *
 * @example
 * const authorize = createAuthorizer(parts)
 * const auth = await authorize(token, policy, { method: 'GET', path: '/orders', headers }) // value or promise
 */
export function createAuthorizer(parts: AuthorizerParts): Authorize {
  const { options, keys, cache, revocation, bindings, checkDpop, consumeUse } = parts
  const { clock } = options
  const verifyOptions = new WeakMap<RoutePolicy, AccessTokenVerifyOptions>()

  const verifyOptionsFor = (policy: RoutePolicy): AccessTokenVerifyOptions => {
    let found = verifyOptions.get(policy)
    if (found === undefined) {
      found = {
        keys: keys.resolve,
        issuer: options.issuer,
        audience: policy.audience,
        maxLifetimeSeconds: options.maxTokenLifetimeSeconds,
        leewaySeconds: options.leewaySeconds,
        clock,
        algorithms: options.algorithms,
        ...(policy.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: policy.maxAgeSeconds }),
      }
      verifyOptions.set(policy, found)
    }
    return found
  }

  const remember = (token: string, claims: AccessTokenClaims, nowSeconds: number): AuthContext => {
    const auth = createAuthContext(claims, readScopes(claims.scope))
    cache.set(token, auth, nowSeconds)
    return auth
  }

  // An unknown kid may be a key the issuer just rotated in: one refetch (cooldown permitting), one retry.
  const verifyAfterRefetch = async (
    token: string,
    policy: RoutePolicy,
    first: TesseraError,
  ): Promise<AuthContext> => {
    if (!(await keys.refetchForUnknownKey())) throw toRejection(first)
    const check = checkAccessToken(token, verifyOptionsFor(policy))
    if (!check.ok) throw toRejection(check.error)
    return remember(token, check.claims, clock.nowSeconds())
  }

  const applyFreshness = (claims: AccessTokenClaims, policy: RoutePolicy, nowSeconds: number): void => {
    try {
      checkClaimFreshness(claims, policy, options, nowSeconds)
    } catch (error) {
      throw toRejection(error)
    }
  }

  const applyAuthorisation = (auth: AuthContext, policy: RoutePolicy): AuthContext | Promise<AuthContext> => {
    checkScopes(auth.scopes, policy)
    if (auth.claims.max_uses === undefined) return auth
    return consumeUse(auth.claims).then(() => auth)
  }

  // The token text is needed here, not just its claims: a DPoP proof's `ath` is the hash of this token.
  const applyRequestRules = (
    token: string,
    auth: AuthContext,
    policy: RoutePolicy,
    request: BindingRequest,
  ): AuthContext | Promise<AuthContext> => {
    const { claims } = auth
    for (const check of bindings) check(claims, request)
    const recording = checkDpop(claims, token, request.dpop)
    if (recording === undefined) return applyAuthorisation(auth, policy)
    return recording.then(() => applyAuthorisation(auth, policy))
  }

  const applyRevocation = (
    token: string,
    auth: AuthContext,
    policy: RoutePolicy,
    request: BindingRequest,
  ): AuthContext | Promise<AuthContext> => {
    const waiting = revocation.check(auth.claims)
    if (waiting === undefined) return applyRequestRules(token, auth, policy, request)
    return waiting.then(() => applyRequestRules(token, auth, policy, request))
  }

  const authorizeWithKeys = (
    token: string,
    policy: RoutePolicy,
    request: BindingRequest,
  ): AuthContext | Promise<AuthContext> => {
    const nowSeconds = clock.nowSeconds()
    const cached = cache.get(token, nowSeconds)
    if (cached !== undefined) {
      applyFreshness(cached.claims, policy, nowSeconds)
      return applyRevocation(token, cached, policy, request)
    }
    const check = checkAccessToken(token, verifyOptionsFor(policy))
    if (check.ok) return applyRevocation(token, remember(token, check.claims, nowSeconds), policy, request)
    if (check.error.code !== 'unknown_key') throw toRejection(check.error)
    return verifyAfterRefetch(token, policy, check.error).then((entry) =>
      applyRevocation(token, entry, policy, request),
    )
  }

  return (token, policy, request) => {
    const loading = keys.whenReady()
    if (loading === undefined) return authorizeWithKeys(token, policy, request)
    return loading.then(() => authorizeWithKeys(token, policy, request))
  }
}

function toRejection(error: unknown): unknown {
  if (error instanceof GuardError || !(error instanceof TesseraError)) return error
  return toGuardError(error)
}
