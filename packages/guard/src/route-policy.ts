import { GuardError } from './guard-errors.ts'

/**
 * Durations in route options: whole seconds as a number, or a short string such as `'30s'`, `'5m'`, `'2h'`,
 * `'1d'`. Parsed once when a route is defined, so a typo stops the API at startup, not at its first request.
 */
export type Duration = number | `${number}${'s' | 'm' | 'h' | 'd'}`

const unitSeconds: { readonly [unit: string]: number } = { s: 1, m: 60, h: 3600, d: 86_400 }
const durationText = /^(\d{1,9})([smhd])$/

/**
 * Converts a duration to whole seconds. Throws a `RangeError` naming `optionName` for anything else:
 * fractions, negatives, other units, or more than a year.
 *
 * @example
 * parseDurationSeconds('5m', 'maxAge') // 300
 * parseDurationSeconds(30, 'maxAge')   // 30
 */
export function parseDurationSeconds(value: Duration | string, optionName: string): number {
  let seconds: number | undefined
  if (typeof value === 'number') {
    seconds = Number.isSafeInteger(value) ? value : undefined
  } else {
    const match = typeof value === 'string' ? durationText.exec(value) : null
    const amount = match?.[1]
    const unit = match?.[2]
    if (amount !== undefined && unit !== undefined)
      seconds = Number(amount) * (unitSeconds[unit] ?? Number.NaN)
  }
  if (seconds === undefined || !(seconds >= 0 && seconds <= 366 * 86_400)) {
    throw new RangeError(
      `route option ${optionName} is ${JSON.stringify(value)}; allowed: whole seconds or '<n>s|m|h|d', at most a year`,
    )
  }
  return seconds
}

/** What one route demands of a token, on top of the guard-wide rules. */
export interface RouteOptions {
  /** Scopes the token must all carry (RFC 6749 §3.3 scope tokens); missing one is 403 `insufficient_scope`. */
  readonly scope?: string | readonly string[]
  /** Replaces the guard's audience for this route. */
  readonly audience?: string | readonly string[]
  /**
   * Refuse tokens issued longer ago than this (`too_old`), measured from `iat`, so a sensitive endpoint can
   * demand a fresher token than the issuer's lifetime. `'5m'`, `'30s'` or whole seconds.
   */
  readonly maxAge?: Duration
}

/** `RouteOptions` parsed once, when the route is defined. */
export interface RoutePolicy {
  readonly requiredScopes: readonly string[]
  readonly audience: string | readonly string[]
  readonly maxAgeSeconds: number | undefined
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). Checking it here also means a scope can be
// put into a challenge's quoted-string without any escape.
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Parses route options into a policy, with the guard's audience as the default. Throws `TypeError` or
 * `RangeError` for a bad option, at route definition.
 *
 * @example
 * const policy = resolveRoutePolicy({ scope: 'orders:read', maxAge: '5m' }, 'orders-api')
 * policy.maxAgeSeconds // 300
 */
export function resolveRoutePolicy(
  options: RouteOptions | undefined,
  defaultAudience: string | readonly string[],
): RoutePolicy {
  const scopes =
    options?.scope === undefined ? [] : typeof options.scope === 'string' ? [options.scope] : options.scope
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !scopeToken.test(scope)) {
      throw new TypeError(
        `route option scope has ${JSON.stringify(scope)}, which is not an RFC 6749 scope token`,
      )
    }
  }
  const audience = options?.audience ?? defaultAudience
  const audiences = typeof audience === 'string' ? [audience] : audience
  if (audiences.length === 0 || !audiences.every((item) => typeof item === 'string' && item !== '')) {
    throw new TypeError('route option audience must be a non-empty string or a non-empty list of them')
  }
  return Object.freeze({
    requiredScopes: Object.freeze([...new Set(scopes)]),
    audience,
    maxAgeSeconds: options?.maxAge === undefined ? undefined : parseDurationSeconds(options.maxAge, 'maxAge'),
  })
}

const noScopes: readonly string[] = Object.freeze([])

/**
 * Splits a token's space-separated `scope` claim (RFC 9068 §2.2.3) into a frozen list. A list rather than a
 * set: tokens carry a handful of scopes and routes ask for one or two, where `includes` beats building a
 * `Set` for every token seen.
 *
 * @example
 * readScopes('orders:read  orders:write') // ['orders:read', 'orders:write']
 */
export function readScopes(scope: string | undefined): readonly string[] {
  if (scope === undefined || scope === '') return noScopes
  const items = scope.split(' ')
  return Object.freeze(items.includes('') ? items.filter((item) => item !== '') : items)
}

/**
 * Refuses with 403 `insufficient_scope` (and the needed scopes for the challenge, RFC 6750 §3) unless the
 * token carries every scope the route requires.
 *
 * @example
 * checkScopes(readScopes(claims.scope), policy)
 */
export function checkScopes(granted: readonly string[], policy: RoutePolicy): void {
  for (const scope of policy.requiredScopes) {
    if (!granted.includes(scope))
      throw new GuardError('insufficient_scope', { requiredScopes: policy.requiredScopes })
  }
}
