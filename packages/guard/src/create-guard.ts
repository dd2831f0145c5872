import type { IncomingMessage } from 'node:http'
import type { AccessTokenClaims } from '@tessera/core'
import type { AuthContext } from './auth-context.ts'
import { createAuthorizer } from './authorize-token.ts'
import { type BindingRequest, createBindingChecks } from './binding-checks.ts'
import { createDpopCheck, type DpopPresentation } from './dpop-check.ts'
import { createExpressMiddleware, type ExpressMiddleware } from './express-adapter.ts'
import { createFastifyPreHandler, type FastifyPreHandler } from './fastify-adapter.ts'
import { createGuardCore, pathOf } from './guard-core.ts'
import type { GuardError } from './guard-errors.ts'
import { type GuardOptions, resolveGuardOptions } from './guard-options.ts'
import { createFixedKeySource, createRemoteKeySource, type KeySourceHealth } from './key-source.ts'
import { createNodeListener, type NodeAuthHandler, type NodeRequestListener } from './node-adapter.ts'
import { type Rejection, renderRejection } from './rejection.ts'
import { createRevocationGate, type RevocationHealth } from './revocation-gate.ts'
import type { RouteOptions } from './route-policy.ts'
import { TokenCache } from './token-cache.ts'
import { createTokenUseCounter } from './token-uses.ts'

/** `guard.verifyToken`'s options: a route's demands, plus what binding checks read from the request. */
export interface VerifyTokenOptions extends RouteOptions {
  /** The request path, for a token bound to one (`path` claim); without it such a token is `wrong_path`. */
  readonly path?: string
  /** The fingerprint cookie's value, for a cookie-bound token (`fph`); without it, `fingerprint_mismatch`. */
  readonly fingerprint?: string
  /**
   * The token came as `Authorization: DPoP` with this proof (RFC 9449 §7): `method` and the absolute `url`
   * of the request it arrived on. Without it the token counts as presented as `Bearer`, and a DPoP-bound
   * token is `dpop_invalid`.
   */
  readonly dpop?: { readonly proof: string; readonly method: string; readonly url: string }
}

/** `guard.health()`: what the guard can verify with, and whether it hears revocations. */
export interface GuardHealth {
  readonly keys: KeySourceHealth
  readonly revocation: RevocationHealth
}

/** A resource-server guard (SPEC §5). Create one per API with `createGuard` and share it across routes. */
export interface Guard {
  /** Express middleware for one route; sets `req.auth`. */
  express(options?: RouteOptions): ExpressMiddleware
  /** Fastify `preHandler` for one route; sets `request.auth`. */
  fastify(options?: RouteOptions): FastifyPreHandler
  /** Wraps a node:http handler; sets `request.auth`. */
  node(handler: NodeAuthHandler, options?: RouteOptions): NodeRequestListener
  /** Decides a node request without answering it: the caller's context, or a `GuardError`. */
  verify(request: IncomingMessage, options?: RouteOptions): Promise<AuthContext>
  /** Verifies a bare token: its claims, or a `GuardError` whose `reason` is a SPEC §4 code. */
  verifyToken(token: string, options?: VerifyTokenOptions): Promise<AccessTokenClaims>
  /** Renders a `GuardError` as status, headers and body, the way the adapters answer. */
  rejection(error: GuardError): Rejection
  health(): GuardHealth
  /** Ends the revocation feed and any fetch in flight. */
  close(): Promise<void>
}

/**
 * Creates a guard that verifies Tessera access tokens in memory: keys from the issuer's JWKS (or a fixed
 * `jwks`), strict verification through `@tessera/core`, a verified-token cache, per-route policy, and —
 * with a `client` — the revocation feed and `max_uses` counting through the auth server, or — with
 * `redis` — both on Redis, plus an immediate JWKS refetch when the issuer's key ring changes. Throws at once on an invalid option.
 *
 * @example
 * const guard = createGuard({ issuer: 'http://localhost:8080', audience: 'orders-api' })
 * app.get('/orders', guard.express({ scope: 'orders:read', maxAge: '5m' }), handler)
 */
export function createGuard(guardOptions: GuardOptions): Guard {
  const options = resolveGuardOptions(guardOptions)
  const closing = new AbortController()
  const keys =
    options.jwks === undefined
      ? createRemoteKeySource({
          issuer: options.issuer,
          algorithms: options.algorithms,
          clock: options.clock,
          cooldownSeconds: options.jwksCooldownSeconds,
          refreshSeconds: options.jwksRefreshSeconds,
          timeoutMs: options.networkTimeoutMs,
        })
      : createFixedKeySource(options.jwks, options.algorithms)
  const revocation = createRevocationGate(options, () => keys.refreshSoon())
  const useCounter = createTokenUseCounter({
    issuer: options.issuer,
    client: options.client,
    timeoutMs: options.networkTimeoutMs,
    signal: closing.signal,
    ...(options.redis === undefined
      ? {}
      : { redis: { ...options.redis, leewaySeconds: options.leewaySeconds } }),
  })
  const dpop = createDpopCheck(options)
  const authorize = createAuthorizer({
    options,
    keys,
    cache: new TokenCache(options.cacheMaxEntries),
    revocation,
    bindings: createBindingChecks(options),
    checkDpop: dpop.check,
    consumeUse: useCounter.consume,
  })
  const core = createGuardCore(authorize, { ...options, dpopAlgorithms: options.algorithms })
  return {
    express: (routeOptions) => createExpressMiddleware(core, routeOptions),
    fastify: (routeOptions) => createFastifyPreHandler(core, routeOptions),
    node: (handler, routeOptions) => createNodeListener(core, handler, routeOptions),
    verify: (request, routeOptions) =>
      promiseOf(() => core.authorizeRequest(request, pathOf(request.url), core.policyFor(routeOptions))),
    verifyToken: (token, verifyOptions) => {
      const request = bindingRequestFor(verifyOptions, options.fingerprintCookie)
      return promiseOf(() => core.authorizeToken(token, core.policyFor(verifyOptions), request)).then(
        claimsOf,
      )
    },
    rejection: (error) => renderRejection(error, options.realm, options.algorithms),
    health: () => ({ keys: keys.health(), revocation: revocation.health() }),
    close: async () => {
      closing.abort()
      keys.close()
      useCounter.close()
      dpop.close()
      await revocation.close()
    },
  }
}

const noHeaders = Object.freeze({})
const claimsOf = (auth: AuthContext): AccessTokenClaims => auth.claims

// What the binding checks see for a bare token: only what the caller passed.
function bindingRequestFor(
  options: VerifyTokenOptions | undefined,
  fingerprintCookie: string,
): BindingRequest {
  if (options === undefined) return { method: undefined, path: undefined, headers: noHeaders }
  const headers =
    options.fingerprint === undefined ? noHeaders : { cookie: `${fingerprintCookie}=${options.fingerprint}` }
  const { dpop } = options
  if (dpop === undefined) return { method: undefined, path: options.path, headers }
  const presentation: DpopPresentation = {
    scheme: 'dpop',
    proofs: [dpop.proof],
    method: dpop.method,
    url: dpop.url,
  }
  return { method: dpop.method, path: options.path, headers, dpop: presentation }
}

// The public API is promise-based whatever the decision took: a sync throw becomes a rejection.
function promiseOf<T>(decide: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(decide())
  } catch (error) {
    return Promise.reject(error)
  }
}
