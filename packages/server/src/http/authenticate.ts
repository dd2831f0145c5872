import { timingSafeEqual } from 'node:crypto'
import { type AccessTokenClaims, checkAccessToken } from '@tessera/core'
import type { FastifyRequest } from 'fastify'
import { hashFingerprint } from '../domain/token-issuer.ts'
import type { SessionRecord, UserRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'
import { FINGERPRINT_COOKIE, parseCookieHeader } from './cookies.ts'
import { reject } from './problem.ts'

/** What a handler knows about the caller once its access token passed. */
export interface AuthContext {
  readonly claims: AccessTokenClaims
  readonly user: UserRecord
  readonly session: SessionRecord
}

const MAX_TOKEN_CHARS = 8192
/** RFC 6750 §2.1 b64token. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Extracts the bearer token from the one place we accept it. RFC 6750 §2.3 query tokens leak into logs,
 * history and Referer, so a query `access_token` is refused outright rather than ignored.
 *
 * @example
 * const token = readBearerToken(request) // undefined when no credentials were sent
 */
export function readBearerToken(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined
  if (query && Object.hasOwn(query, 'access_token')) {
    throw reject('invalid_request', {
      field: 'access_token',
      message: 'access tokens are not accepted in the query string',
    })
  }
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  const scheme = space < 0 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') {
    throw reject('invalid_request', {
      field: 'authorization',
      message: 'the Authorization header must use the Bearer scheme',
    })
  }
  const token = header.slice(space + 1)
  if (token.length > MAX_TOKEN_CHARS) throw reject('token_too_large', { message: 'the token exceeds 8 KiB' })
  if (space < 0 || !B64_TOKEN.test(token)) {
    throw reject('invalid_request', {
      field: 'authorization',
      message: 'the Authorization header is malformed',
    })
  }
  return token
}

function isFingerprintMatch(expectedHash: string, cookieValue: string | undefined): boolean {
  if (cookieValue === undefined) return false
  const actual = Buffer.from(hashFingerprint(cookieValue))
  const expected = Buffer.from(expectedHash)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Verifies the request's bearer token strictly (core: format, signature, claims) and its fingerprint
 * binding, without any store call.
 *
 * @example
 * const claims = verifyBearer(request, ctx)
 */
export function verifyBearer(request: FastifyRequest, ctx: AppContext): AccessTokenClaims {
  const token = readBearerToken(request)
  if (token === undefined) throw reject('missing_token')
  const check = checkAccessToken(token, {
    keys: (header) => ctx.ring.resolve(header.kid),
    issuer: ctx.config.issuer,
    audience: ctx.config.issuer,
    maxLifetimeSeconds: ctx.config.accessToken.ttlSeconds,
    leewaySeconds: ctx.config.accessToken.leewaySeconds,
    clock: ctx.clock,
  })
  if (!check.ok) throw check.error
  const claims = check.claims
  if (claims.fph !== undefined) {
    const cookie = parseCookieHeader(request.headers.cookie).get(FINGERPRINT_COOKIE)
    if (!isFingerprintMatch(claims.fph, cookie)) throw reject('fingerprint_mismatch')
  }
  return claims
}

/**
 * Authenticates a request to one of the server's own user endpoints: {@link verifyBearer}, then the live
 * state the auth server has at hand anyway (session, user, not-before), so a revoked session is refused
 * here at once rather than at token expiry.
 *
 * @example
 * const auth = await authenticate(request, ctx)
 */
export async function authenticate(request: FastifyRequest, ctx: AppContext): Promise<AuthContext> {
  const claims = verifyBearer(request, ctx)
  if (claims.sid === undefined) {
    throw reject('insufficient_scope', { message: 'this endpoint needs a token issued to a signed-in user' })
  }
  const session = await ctx.store.sessions.findById(claims.sid)
  const now = ctx.clock.nowSeconds()
  if (!session || session.userId !== claims.sub || session.state !== 'active' || session.expiresAt <= now) {
    throw reject('session_revoked')
  }
  const user = await ctx.store.users.findById(claims.sub)
  if (!user || user.disabled || (user.notBeforeAt !== null && claims.iat < user.notBeforeAt))
    throw reject('revoked')
  return { claims, user, session }
}
