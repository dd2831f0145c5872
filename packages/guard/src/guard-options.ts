import {
  type AccessTokenAlgorithm,
  type Clock,
  cryptoRandom,
  isAccessTokenAlgorithm,
  type RandomSource,
  systemClock,
} from '@tessera/core'
import { assertRedisKeyPrefix, DEFAULT_REDIS_KEY_PREFIX } from '@tessera/redis'

/** The service client a guard uses for the revocation feed and for `max_uses` counters. */
export interface GuardClientCredentials {
  /** Client id, registered with scopes `revocations:read` and, for `max_uses` tokens, `tokens:consume`. */
  readonly id: string
  /** Client secret; sent only to the configured issuer, over HTTP Basic (RFC 6749 §2.3.1). */
  readonly secret: string
}

/**
 * Redis of a scale-out deployment (the auth server's `TESSERA_REDIS_URL` and `TESSERA_REDIS_KEY_PREFIX`):
 * revocations and key-ring changes arrive on its event stream and `max_uses` tokens are counted there, with no
 * call to the auth server and no client needed.
 */
export interface GuardRedisOptions {
  /** `redis://…` or `rediss://…`. */
  readonly url: string
  /** The auth server's key prefix. Default `tessera:`. */
  readonly keyPrefix?: string
}

/** What the guard does when it cannot hear the revocation feed. */
export interface RevocationOptions {
  /**
   * `closed` (default): refuse every token with 503 `temporarily_unavailable` while the feed is silent, since a
   * revoked session can no longer be told apart. `open`: accept tokens on signature and claims alone.
   */
  readonly failMode?: 'closed' | 'open'
  /** Seconds of silence (the server pings every 5 s) after which the feed counts as down. Default 30. */
  readonly maxSilenceSeconds?: number
}

/** Options of `createGuard`. Only `issuer` and `audience` are required. */
export interface GuardOptions {
  /** The auth server's issuer URL, exactly as in the tokens' `iss` (no normalisation). */
  readonly issuer: string
  /** The audience(s) this API answers to; a token's `aud` must name at least one. */
  readonly audience: string | readonly string[]
  /** A fixed key set (`{ keys: [JWK, …] }`): no metadata or JWKS fetch at all. Keys need a `kid`. */
  readonly jwks?: { readonly keys: readonly unknown[] }
  /** Enables the revocation feed and `max_uses` counting. Without it revocation happens only at expiry. */
  readonly client?: GuardClientCredentials
  /** Follow revocations and count `max_uses` on Redis instead of through the auth server (SPEC §5). */
  readonly redis?: GuardRedisOptions
  /** Accepted token algorithms. Default `['EdDSA', 'ES256']`. */
  readonly algorithms?: readonly AccessTokenAlgorithm[]
  /** Clock skew tolerated on `exp`, `nbf` and `iat`. Default 5. */
  readonly leewaySeconds?: number
  /** Longest accepted `exp − iat`: the issuer's access-token TTL. Default 900. */
  readonly maxTokenLifetimeSeconds?: number
  /** Least time between two JWKS fetches, also those caused by unknown `kid`s. Default 30. */
  readonly jwksCooldownSeconds?: number
  /** Age after which the JWKS is refetched in the background, on the next request. Default 300. */
  readonly jwksRefreshSeconds?: number
  readonly revocation?: RevocationOptions
  /** Verified-token cache; `maxEntries: 0` turns it off. Default 10,000 entries. */
  readonly cache?: { readonly maxEntries?: number }
  /** Time source for every date check (inject a manual clock in tests). Default the system clock. */
  readonly clock?: Clock
  /** Randomness for reconnect jitter. Default the OS CSPRNG. */
  readonly random?: RandomSource
  /** Cookie whose SHA-256 a cookie-bound token carries in `fph`. Default `__Host-tessera-fgp`. */
  readonly fingerprintCookie?: string
  /** `realm` of the `WWW-Authenticate` challenge. Default `tessera`. */
  readonly realm?: string
  /** Timeout of every call to the issuer, and the longest a request waits for the first keys. Default 5000. */
  readonly networkTimeoutMs?: number
  /**
   * The API's public origin (`https://api.example.com`, no path): a DPoP proof's `htu` is compared with this
   * plus the request path (RFC 9449 §4.3). Unset, the origin is taken from the request (`https` when the
   * socket is TLS, and the `Host` header) — which is wrong behind a TLS-terminating proxy: set it there.
   */
  readonly publicOrigin?: string
}

/** `GuardOptions` with every default filled in, validated and frozen. */
export interface ResolvedGuardOptions {
  readonly issuer: string
  readonly audience: string | readonly string[]
  readonly jwks: { readonly keys: readonly unknown[] } | undefined
  readonly client: GuardClientCredentials | undefined
  readonly redis: { readonly url: string; readonly keyPrefix: string } | undefined
  readonly algorithms: readonly AccessTokenAlgorithm[]
  readonly leewaySeconds: number
  readonly maxTokenLifetimeSeconds: number
  readonly jwksCooldownSeconds: number
  readonly jwksRefreshSeconds: number
  readonly failMode: 'closed' | 'open'
  readonly maxSilenceSeconds: number
  readonly cacheMaxEntries: number
  readonly clock: Clock
  readonly random: RandomSource
  readonly fingerprintCookie: string
  readonly realm: string
  readonly networkTimeoutMs: number
  readonly publicOrigin: string | undefined
}

// RFC 6265 §4.1.1 cookie-name is an RFC 7230 token; RFC 7235 realm goes into a quoted-string.
const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const quotableText = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Validates guard options and fills in the defaults. A bad option throws a `TypeError` or `RangeError`
 * naming the option, the bad value and what is allowed, so a misconfigured API fails at startup rather than
 * at its first request.
 *
 * @example
 * const options = resolveGuardOptions({ issuer: 'http://localhost:8080', audience: 'orders-api' })
 * options.leewaySeconds // 5
 */
export function resolveGuardOptions(options: GuardOptions): ResolvedGuardOptions {
  const issuer = requireHttpUrl(options.issuer)
  const audience = requireAudience(options.audience)
  const algorithms = options.algorithms ?? ['EdDSA', 'ES256']
  if (algorithms.length === 0 || !algorithms.every(isAccessTokenAlgorithm)) {
    throw new RangeError('guard option algorithms must list EdDSA and/or ES256')
  }
  if (options.jwks !== undefined && !Array.isArray(options.jwks.keys)) {
    throw new TypeError('guard option jwks must be a JWK set: { keys: [...] }')
  }
  if (options.client !== undefined) requireClient(options.client)
  const redis = options.redis === undefined ? undefined : requireRedis(options.redis)
  const fingerprintCookie = options.fingerprintCookie ?? '__Host-tessera-fgp'
  if (!cookieName.test(fingerprintCookie))
    throw new TypeError('guard option fingerprintCookie is not a cookie name')
  const realm = options.realm ?? 'tessera'
  if (!quotableText.test(realm))
    throw new TypeError('guard option realm must be printable ASCII without " or \\')
  const failMode = options.revocation?.failMode ?? 'closed'
  if (failMode !== 'closed' && failMode !== 'open') {
    throw new RangeError(`guard option revocation.failMode is ${String(failMode)}; allowed: closed, open`)
  }
  return Object.freeze({
    issuer,
    audience,
    jwks: options.jwks,
    client: options.client,
    redis,
    algorithms: Object.freeze([...algorithms]),
    leewaySeconds: requireInteger('leewaySeconds', options.leewaySeconds ?? 5, 0, 300),
    maxTokenLifetimeSeconds: requireInteger(
      'maxTokenLifetimeSeconds',
      options.maxTokenLifetimeSeconds ?? 900,
      1,
      86_400,
    ),
    jwksCooldownSeconds: requireInteger('jwksCooldownSeconds', options.jwksCooldownSeconds ?? 30, 1, 3600),
    jwksRefreshSeconds: requireInteger('jwksRefreshSeconds', options.jwksRefreshSeconds ?? 300, 1, 86_400),
    failMode,
    maxSilenceSeconds: requireInteger(
      'revocation.maxSilenceSeconds',
      options.revocation?.maxSilenceSeconds ?? 30,
      6,
      3600,
    ),
    cacheMaxEntries: requireInteger('cache.maxEntries', options.cache?.maxEntries ?? 10_000, 0, 10_000_000),
    clock: options.clock ?? systemClock,
    random: options.random ?? cryptoRandom,
    fingerprintCookie,
    realm,
    networkTimeoutMs: requireInteger('networkTimeoutMs', options.networkTimeoutMs ?? 5000, 1, 120_000),
    publicOrigin: options.publicOrigin === undefined ? undefined : requireOrigin(options.publicOrigin),
  })
}

function requireHttpUrl(value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value))
    throw new TypeError('guard option issuer must be a URL')
  const { protocol } = new URL(value)
  if (protocol !== 'https:' && protocol !== 'http:')
    throw new TypeError('guard option issuer must be http(s)')
  return value
}

// Only an origin: the request path is appended to it, so a path, query or credentials here would be a mistake.
function requireOrigin(value: unknown): string {
  const parsed = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined
  if (
    parsed === undefined ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    parsed.pathname !== '/' ||
    parsed.search !== '' ||
    parsed.hash !== '' ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    /[?#]$/.test(String(value))
  ) {
    throw new TypeError(
      `guard option publicOrigin is ${JSON.stringify(String(value))}; allowed: an http(s) origin without path, e.g. https://api.example.com`,
    )
  }
  return parsed.origin
}

function requireAudience(value: unknown): string | readonly string[] {
  if (typeof value === 'string' && value.length > 0) return value
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string' && item !== '')
  ) {
    return Object.freeze([...(value as string[])])
  }
  throw new TypeError('guard option audience must be a non-empty string or a non-empty list of them')
}

function requireClient(client: GuardClientCredentials): void {
  if (
    typeof client.id !== 'string' ||
    client.id === '' ||
    typeof client.secret !== 'string' ||
    client.secret === ''
  ) {
    throw new TypeError('guard option client needs a non-empty id and secret')
  }
}

function requireRedis(redis: GuardRedisOptions): { url: string; keyPrefix: string } {
  const { url } = redis
  if (typeof url !== 'string' || !URL.canParse(url) || !/^rediss?:$/.test(new URL(url).protocol)) {
    throw new TypeError('guard option redis.url must be a redis:// or rediss:// URL')
  }
  const keyPrefix = redis.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
  try {
    assertRedisKeyPrefix(keyPrefix)
  } catch {
    throw new TypeError('guard option redis.keyPrefix must be 1–64 characters without braces or whitespace')
  }
  return Object.freeze({ url, keyPrefix })
}

function requireInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(
      `guard option ${name} is ${String(value)}; allowed: an integer from ${min} to ${max}`,
    )
  }
  return value
}
