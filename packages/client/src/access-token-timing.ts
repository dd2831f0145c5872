/** What the client reads from an access token: only its times, never trusting them for security. */
export interface AccessTokenTimes {
  /** `exp` (epoch seconds). */
  readonly expiresAt: number
  /** `iat` (epoch seconds), when the token has one. */
  readonly issuedAt: number | undefined
}

const MIN_DELAY_MS = 1000
const MAX_DELAY_MS = 24 * 60 * 60 * 1000
const BASE64URL = /^[A-Za-z0-9_-]+$/

function decodeBase64Url(segment: string): string | undefined {
  if (!BASE64URL.test(segment)) return undefined
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  try {
    // atob exists in browsers and in Node ≥ 16; the bytes are UTF-8, so decode them as such.
    const binary = atob(padded)
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

/**
 * Reads `exp` and `iat` from a compact JWS payload. No signature check: the client only needs to know
 * when to refresh; every resource server verifies the token itself. Anything unreadable gives `undefined`.
 *
 * @example
 * const times = readAccessTokenTimes(response.access_token)
 * if (times) console.log(new Date(times.expiresAt * 1000))
 */
export function readAccessTokenTimes(token: string): AccessTokenTimes | undefined {
  const segments = token.split('.')
  if (segments.length !== 3 || segments[1] === undefined) return undefined
  const json = decodeBase64Url(segments[1])
  if (json === undefined) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof payload !== 'object' || payload === null) return undefined
  const { exp, iat } = payload as { exp?: unknown; iat?: unknown }
  if (!isNumericDate(exp)) return undefined
  return { expiresAt: exp, issuedAt: isNumericDate(iat) ? iat : undefined }
}

/**
 * How long after receiving a token to refresh it: its lifetime minus the leeway, measured from the moment
 * it arrived rather than against this machine's clock. `exp − iat` are both the server's clock, so a
 * browser whose clock is minutes off neither refreshes in a loop nor lets the token lapse. The leeway is
 * capped at half the lifetime, so a short-lived token is not refreshed as soon as it arrives; the result
 * is bounded to [1 s, 24 h] (a bad token never makes a zero or negative timer).
 *
 * @example
 * const delayMs = refreshDelayMs(times, { leewaySeconds: 30, nowSeconds: Date.now() / 1000 })
 */
export function refreshDelayMs(
  times: AccessTokenTimes,
  options: { readonly leewaySeconds: number; readonly nowSeconds: number },
): number {
  // Without `iat` the only reference left is this machine's clock.
  const lifetimeSeconds = times.expiresAt - (times.issuedAt ?? options.nowSeconds)
  const leewaySeconds = Math.min(options.leewaySeconds, Math.max(0, lifetimeSeconds) / 2)
  const delayMs = (lifetimeSeconds - leewaySeconds) * 1000
  if (!Number.isFinite(delayMs)) return MIN_DELAY_MS
  return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, Math.round(delayMs)))
}
