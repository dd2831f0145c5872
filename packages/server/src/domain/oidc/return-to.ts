/**
 * Where a browser may be sent after an upstream login: a path on the auth server, or a URL on an allowed
 * origin. Anything else is refused rather than "fixed", because every open redirect is a phishing link
 * with the auth server's name on it (RFC 9700 §4.11): `//evil.example` and `/\evil.example` are
 * protocol-relative to browsers, `javascript:` runs script, `https://user@evil` hides the host, and
 * control characters are stripped by browsers before parsing.
 */

const MAX_RETURN_TO_CHARS = 2048
// C0 controls, DEL, whitespace and the backslash (browsers treat `\` as `/` in special URLs).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const FORBIDDEN = /[\u0000-\u0020\u007f\\]/

/**
 * The absolute URL to redirect to, or `undefined` when `returnTo` is not allowed. A relative value must be
 * an absolute path (`/…`, not `//…`); an absolute one must be http(s), carry no credentials, and have an
 * origin in `allowedOrigins` or the issuer's own.
 *
 * @example
 * resolveReturnTo('/account', { issuer, allowedOrigins }) // 'https://auth.example.com/account'
 * resolveReturnTo('//evil.example/', { issuer, allowedOrigins }) // undefined
 */
export function resolveReturnTo(
  returnTo: string,
  options: { readonly issuer: string; readonly allowedOrigins: readonly string[] },
): string | undefined {
  if (returnTo === '' || returnTo.length > MAX_RETURN_TO_CHARS || FORBIDDEN.test(returnTo)) return undefined
  const issuerOrigin = new URL(options.issuer).origin
  if (returnTo.startsWith('/')) {
    if (returnTo.startsWith('//')) return undefined
    const resolved = new URL(returnTo, issuerOrigin)
    return resolved.origin === issuerOrigin ? resolved.href : undefined
  }
  if (!URL.canParse(returnTo)) return undefined
  const url = new URL(returnTo)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  if (url.username !== '' || url.password !== '') return undefined
  const isAllowed = url.origin === issuerOrigin || options.allowedOrigins.includes(url.origin)
  return isAllowed ? url.href : undefined
}
