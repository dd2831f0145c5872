import type { AuthContext } from './auth-context.ts'
import type { Authorize } from './authorize-token.ts'
import type { BindingRequest } from './binding-checks.ts'
import { extractBearerToken, type TokenCarrier } from './extract-token.ts'
import { GuardError, toGuardError } from './guard-errors.ts'
import { type Rejection, renderRejection } from './rejection.ts'
import { type RouteOptions, type RoutePolicy, resolveRoutePolicy } from './route-policy.ts'

/** A request as the adapters hand it over: where the token may be, and what the bindings look at. */
export interface GuardedRequest extends TokenCarrier {
  readonly method?: string | undefined
}

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
export function createGuardCore(
  authorize: Authorize,
  options: { readonly audience: string | readonly string[]; readonly realm: string },
): GuardCore {
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
      const token = extractBearerToken(request)
      if (token === undefined) throw new GuardError('missing_token')
      return authorize(token, policy, { method: request.method, path, headers: request.headers })
    },
    authorizeToken: authorize,
    rejectionFor: (error) => {
      const rejection = toGuardError(error)
      return rejection === undefined ? undefined : renderRejection(rejection, options.realm)
    },
  }
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
