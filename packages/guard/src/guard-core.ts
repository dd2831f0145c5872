import type { AuthContext } from './auth-context.ts'
import type { Authorize } from './authorize-token.ts'
import type { BindingRequest } from './binding-checks.ts'
import type { DpopPresentation } from './dpop-check.ts'
import { extractCredential, readHeaderLines, type TokenCarrier } from './extract-token.ts'
import { asDpopScheme, GuardError, toGuardError } from './guard-errors.ts'
import { type Rejection, renderRejection } from './rejection.ts'
import { type RouteOptions, type RoutePolicy, resolveRoutePolicy } from './route-policy.ts'

/** A request as the adapters hand it over: where the token may be, and what the bindings look at. */
export interface GuardedRequest extends TokenCarrier {
  readonly method?: string | undefined
  /** The connection; a TLS socket (`encrypted: true`) makes the DPoP `htu` origin `https`. */
  readonly socket?: unknown
}

/** What the core needs of the guard's options. */
export interface GuardCoreOptions {
  readonly audience: string | readonly string[]
  readonly realm: string
  /** The API's public origin for DPoP `htu`; unset, it is taken from the request. */
  readonly publicOrigin?: string | undefined
  /** The proof algorithms named in a DPoP challenge's `algs`. */
  readonly dpopAlgorithms?: readonly string[]
}

const bearerPresentation: DpopPresentation = Object.freeze({
  scheme: 'bearer',
  proofs: Object.freeze([]),
  method: undefined,
  url: undefined,
})

/** What the three adapters share: one policy parser, one decision, one rendering of refusals. */
export interface GuardCore {
  /** Parses route options once; the same options object always yields the same policy. */
  policyFor(options: RouteOptions | undefined): RoutePolicy
  /**
   * Extracts the token (`missing_token` when there is none) and decides the request: the context, a thrown
   * `GuardError`, or a promise of either when the decision waits on the network (see `Authorize`).
   */
  authorizeRequest(
    request: GuardedRequest,
    path: string | undefined,
    policy: RoutePolicy,
  ): AuthContext | Promise<AuthContext>
  /** The decision for a token from elsewhere (`guard.verifyToken`), with the same contract. */
  authorizeToken(
    token: string,
    policy: RoutePolicy,
    request: BindingRequest,
  ): AuthContext | Promise<AuthContext>
  /** The rendered refusal for a rejection, or `undefined` for an error that is a fault, not a refusal. */
  rejectionFor(error: unknown): Rejection | undefined
}

/**
 * Builds the shared core of the adapters around a guard's decision function.
 *
 * @example
 * const core = createGuardCore(authorize, { audience: 'orders-api', realm: 'tessera' })
 * const auth = await core.authorizeRequest(request, pathOf(request.url), core.policyFor({ scope: 'orders:read' }))
 */
export function createGuardCore(authorize: Authorize, options: GuardCoreOptions): GuardCore {
  const defaultPolicy = resolveRoutePolicy(undefined, options.audience)
  const policies = new WeakMap<RouteOptions, RoutePolicy>()
  return {
    policyFor: (routeOptions) => {
      if (routeOptions === undefined) return defaultPolicy
      let policy = policies.get(routeOptions)
      if (policy === undefined) {
        policy = resolveRoutePolicy(routeOptions, options.audience)
        policies.set(routeOptions, policy)
      }
      return policy
    },
    authorizeRequest: (request, path, policy) => {
      const credential = extractCredential(request)
      if (credential === undefined) throw new GuardError('missing_token')
      const dpop =
        credential.scheme === 'dpop'
          ? {
              scheme: credential.scheme,
              proofs: readHeaderLines(request, 'dpop'),
              method: request.method,
              url: requestUrlOf(request, path, options.publicOrigin),
            }
          : bearerPresentation
      const bindingRequest = { method: request.method, path, headers: request.headers, dpop }
      return authorizeUnderScheme(authorize, credential.token, policy, bindingRequest)
    },
    authorizeToken: (token, policy, request) => authorizeUnderScheme(authorize, token, policy, request),
    rejectionFor: (error) => {
      const rejection = toGuardError(error)
      return rejection === undefined
        ? undefined
        : renderRejection(rejection, options.realm, options.dpopAlgorithms)
    },
  }
}

// RFC 9449 §7.1: whatever refuses a credential sent as `DPoP` is answered with a DPoP challenge.
function authorizeUnderScheme(
  authorize: Authorize,
  token: string,
  policy: RoutePolicy,
  request: BindingRequest,
): AuthContext | Promise<AuthContext> {
  if (request.dpop?.scheme !== 'dpop') return authorize(token, policy, request)
  let outcome: AuthContext | Promise<AuthContext>
  try {
    outcome = authorize(token, policy, request)
  } catch (error) {
    throw asDpopScheme(error)
  }
  if (!(outcome instanceof Promise)) return outcome
  return outcome.catch((error: unknown) => {
    throw asDpopScheme(error)
  })
}

/**
 * The absolute URL a DPoP proof's `htu` must name (RFC 9449 §4.3): `publicOrigin` + path when configured,
 * else `https` for a TLS socket or `http`, + the `Host` header, + path. The query is never part of it.
 * `undefined` (refused as `dpop_invalid`) without a path or a `Host`. Behind a TLS-terminating proxy the
 * socket is plain, so `publicOrigin` must be set there.
 *
 * @example
 * requestUrlOf(request, '/orders', 'https://api.example.com') // 'https://api.example.com/orders'
 */
export function requestUrlOf(
  request: GuardedRequest,
  path: string | undefined,
  publicOrigin: string | undefined,
): string | undefined {
  if (path === undefined || !path.startsWith('/')) return undefined
  if (publicOrigin !== undefined) return `${publicOrigin}${path}`
  const host = request.headers.host
  if (host === undefined || host === '') return undefined
  return `${isTlsSocket(request.socket) ? 'https' : 'http'}://${host}${path}`
}

function isTlsSocket(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && 'encrypted' in socket && socket.encrypted === true
}

/**
 * Runs a decision that may be synchronous, throw, or return a promise, and hands the outcome to exactly one
 * of the two callbacks — synchronously when it can, so a request the guard decides in memory costs no
 * microtask hop. A callback that throws is not mistaken for a refusal.
 *
 * @example
 * settle(() => core.authorizeRequest(request, path, policy), (auth) => next(), (error) => refuse(error))
 */
export function settle<T>(
  decide: () => T | Promise<T>,
  onAccept: (value: T) => void,
  onRefuse: (error: unknown) => void,
): void {
  let outcome: T | Promise<T>
  try {
    outcome = decide()
  } catch (error) {
    onRefuse(error)
    return
  }
  if (outcome instanceof Promise) outcome.then(onAccept, onRefuse)
  else onAccept(outcome)
}

/**
 * The path of a request target, without query or fragment, as sent (no decoding): what a `path` claim is
 * compared with.
 *
 * @example
 * pathOf('/exports/42?format=csv') // '/exports/42'
 */
export function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const end = url.search(/[?#]/)
  return end < 0 ? url : url.slice(0, end)
}
