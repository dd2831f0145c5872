/** The public view of a user in Tessera's token responses (`{id, email, name}`). */
export interface PublicUser {
  readonly id: string
  readonly email: string
  readonly name: string | null
}

/** A SPEC §3 token response, parsed. */
export interface TokenResponse {
  readonly accessToken: string
  /** `DPoP` when the server bound the tokens to the proof's key (RFC 9449 §5), else `Bearer`. */
  readonly tokenType: 'Bearer' | 'DPoP'
  /** Present in token (native) mode only; in cookie mode it lives in the HttpOnly cookie. */
  readonly refreshToken: string | undefined
  readonly sessionId: string | undefined
  readonly user: PublicUser | undefined
}

/** The server refuses tokens over 8 KiB (SPEC §3); anything longer did not come from it. */
const MAX_TOKEN_CHARS = 8192

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_CHARS
}

/**
 * Narrows an untrusted value (a response body, a cross-tab message member) to a user.
 *
 * @example
 * if (isPublicUser(body.user)) greet(body.user.name ?? body.user.email)
 */
export function isPublicUser(value: unknown): value is PublicUser {
  if (typeof value !== 'object' || value === null) return false
  const { id, email, name } = value as Record<string, unknown>
  return isShortString(id) && isShortString(email) && (name === null || typeof name === 'string')
}

/**
 * Parses a token response body; `undefined` when it is not one (a proxy's error page, a truncated body).
 *
 * @example
 * const parsed = parseTokenResponse(JSON.parse(text))
 * if (parsed) keepInMemory(parsed.accessToken)
 */
export function parseTokenResponse(body: unknown): TokenResponse | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const fields = body as Record<string, unknown>
  const tokenType = fields.token_type
  if (!isShortString(fields.access_token)) return undefined
  // RFC 6749 §7.1: the token type is case-insensitive.
  const type = typeof tokenType === 'string' ? tokenType.toLowerCase() : undefined
  if (type !== 'bearer' && type !== 'dpop') return undefined
  return {
    accessToken: fields.access_token,
    tokenType: type === 'dpop' ? 'DPoP' : 'Bearer',
    refreshToken: isShortString(fields.refresh_token) ? fields.refresh_token : undefined,
    sessionId: isShortString(fields.session_id) ? fields.session_id : undefined,
    user: isPublicUser(fields.user) ? fields.user : undefined,
  }
}

/**
 * Whether a string looks like a compact JWS (three base64url segments): the only shape of access token
 * the client accepts from another tab.
 *
 * @example
 * isCompactJws('eyJhbGciOi.eyJzdWIiOi.c2ln') // true
 */
export function isCompactJws(value: unknown): value is string {
  return isShortString(value) && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value)
}
