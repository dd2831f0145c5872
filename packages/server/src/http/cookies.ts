import { reject } from './problem.ts'

/** Refresh token cookie (RFC 6265bis §4.1.3.1 `__Secure-`: must be Secure; may carry a Path). */
export const REFRESH_COOKIE = '__Secure-tessera-rt'
/** Fingerprint cookie (RFC 6265bis §4.1.3.2 `__Host-`: Secure, Path=/, no Domain — cannot be planted by a sibling host). */
export const FINGERPRINT_COOKIE = '__Host-tessera-fgp'
/**
 * Binds an upstream (OIDC) login to the browser that started it: `__Host-`, HttpOnly, SameSite=Lax (the
 * provider's redirect back is a cross-site navigation), ten minutes.
 */
export const OIDC_LOGIN_COOKIE = '__Host-tessera-oidc'
/** The only paths a browser sends the refresh cookie to. */
export const REFRESH_COOKIE_PATHS = ['/v1/refresh', '/v1/logout'] as const

const MAX_COOKIE_HEADER_BYTES = 8192
const COOKIE_NAME = /^[!#$%&'*+\-.^`|~\w]+$/
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/

/**
 * Parses a `Cookie` header into a map, bounded and strict. A name that occurs twice is refused rather than
 * resolved: two refresh cookies mean someone planted one (cookie tossing), and guessing which is honest is
 * how fixation attacks win.
 *
 * @example
 * const cookies = parseCookieHeader(request.headers.cookie)
 * const refresh = cookies.get(REFRESH_COOKIE)
 */
export function parseCookieHeader(header: string | undefined): ReadonlyMap<string, string> {
  const cookies = new Map<string, string>()
  if (header === undefined || header === '') return cookies
  if (header.length > MAX_COOKIE_HEADER_BYTES)
    throw reject('invalid_request', { field: 'cookie', message: 'cookie header too large' })
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (!COOKIE_NAME.test(name) || !COOKIE_VALUE.test(value)) continue
    if (cookies.has(name)) {
      if (name === REFRESH_COOKIE || name === FINGERPRINT_COOKIE || name === OIDC_LOGIN_COOKIE) {
        throw reject('invalid_request', { field: 'cookie', message: `cookie ${name} sent more than once` })
      }
      continue
    }
    cookies.set(name, value)
  }
  return cookies
}

type PrefixedName = `__Host-${string}` | `__Secure-${string}`

export interface CookieSpec<Name extends PrefixedName = PrefixedName> {
  readonly name: Name
  readonly value: string
  /** `__Host-` cookies must use '/'. */
  readonly path: Name extends `__Host-${string}` ? '/' : string
  /** Seconds; 0 deletes; undefined makes a session cookie. */
  readonly maxAgeSeconds?: number
  /**
   * `Strict` unless said otherwise. `Lax` only for a cookie that must come back on a top-level navigation
   * from another site — the upstream login's binding cookie, on the provider's redirect to the callback.
   */
  readonly sameSite?: 'Strict' | 'Lax'
}

/**
 * Serialises a prefixed cookie with the attributes we always want: HttpOnly, Secure, SameSite=Strict (Lax
 * on request), no Domain. The prefix rules are enforced in the type and again at run time.
 *
 * @example
 * reply.header('set-cookie', [serializeCookie({ name: FINGERPRINT_COOKIE, value, path: '/' })])
 */
export function serializeCookie<Name extends PrefixedName>(spec: CookieSpec<Name>): string {
  if (!COOKIE_NAME.test(spec.name) || !COOKIE_VALUE.test(spec.value))
    throw new Error('invalid cookie name or value')
  if (spec.name.startsWith('__Host-') && spec.path !== '/')
    throw new Error('__Host- cookies must have Path=/')
  if (!spec.path.startsWith('/') || /[;\s]/.test(spec.path)) throw new Error('invalid cookie path')
  const sameSite = spec.sameSite ?? 'Strict'
  const parts = [
    `${spec.name}=${spec.value}`,
    `Path=${spec.path}`,
    'HttpOnly',
    'Secure',
    `SameSite=${sameSite}`,
  ]
  if (spec.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(spec.maxAgeSeconds))}`)
    if (spec.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  }
  return parts.join('; ')
}

/**
 * The Set-Cookie values that store a refresh token for the refresh and logout paths only.
 *
 * @example
 * reply.header('set-cookie', refreshCookies(token, 14 * 86400))
 */
export function refreshCookies(token: string, maxAgeSeconds: number): string[] {
  return REFRESH_COOKIE_PATHS.map((path) =>
    serializeCookie({ name: REFRESH_COOKIE, value: token, path, maxAgeSeconds }),
  )
}

/**
 * The Set-Cookie values that delete every Tessera cookie (logout, revoked session).
 *
 * @example
 * reply.header('set-cookie', clearingCookies())
 */
export function clearingCookies(): string[] {
  return [
    ...REFRESH_COOKIE_PATHS.map((path) =>
      serializeCookie({ name: REFRESH_COOKIE, value: '', path, maxAgeSeconds: 0 }),
    ),
    serializeCookie({ name: FINGERPRINT_COOKIE, value: '', path: '/', maxAgeSeconds: 0 }),
  ]
}
