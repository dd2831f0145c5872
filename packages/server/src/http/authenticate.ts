import { timingSafeEqual } from 'node:crypto'
import { type AccessTokenClaims, checkAccessToken } from '@tessera/core'
import type { FastifyRequest } from 'fastify'
import { hashFingerprint } from '../domain/token-issuer.ts'
import type { SessionRecord, UserRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'
import { FINGERPRINT_COOKIE, parseCookieHeader } from './cookies.ts'
import { checkBoundTokenProof } from './dpop-request.ts'
import { ProblemError, reject } from './problem.ts'
import { oauthProblem } from './service-problem.ts'

/** What a handler knows about the caller once its access token passed. */
export interface AuthContext {
  readonly claims: AccessTokenClaims
  readonly user: UserRecord
  readonly session: SessionRecord
}

const MAX_TOKEN_CHARS = 8192
/** RFC 6750 §2.1 b64token. */
const B64_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** How the access token came: `Authorization: Bearer` (RFC 6750) or `Authorization: DPoP` (RFC 9449 §7.1). */
export interface AccessCredential {
  readonly scheme: 'bearer' | 'dpop'
  readonly token: string
}

/**
 * Extracts the access token from the one place we accept it, with its scheme. RFC 6750 §2.3 query tokens
 * leak into logs, history and Referer, so a query `access_token` is refused outright rather than ignored.
 *
 * @example
 * const credential = readAccessCredential(request) // undefined when no credentials were sent
 */
export function readAccessCredential(request: FastifyRequest): AccessCredential | undefined {
  const query = request.query as Record<string, unknown> | undefined
  if (query && Object.hasOwn(query, 'access_token')) {
    throw reject('invalid_request', {
      field: 'access_token',
      message: 'access tokens are not accepted in the query string',
    })
  }
  // Node keeps only the first of repeated Authorization lines; two credentials are refused, not resolved
  // (SPEC §5 "one token source only"), or a valid first token would carry a forged second one through.
  if ((request.raw.headersDistinct?.authorization?.length ?? 0) > 1) {
    throw reject('invalid_request', {
      field: 'authorization',
      message: 'send exactly one Authorization header',
    })
  }
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  if (scheme !== 'bearer' && scheme !== 'dpop') {
    throw reject('invalid_request', {
      field: 'authorization',
      message: 'the Authorization header must use the Bearer or DPoP scheme',
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
  return { scheme, token }
}

function isFingerprintMatch(expectedHash: string, cookieValue: string | undefined): boolean {
  if (cookieValue === undefined) return false
  const actual = Buffer.from(hashFingerprint(cookieValue))
  const expected = Buffer.from(expectedHash)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function dpopRefusal(message: string): ProblemError {
  const problem = oauthProblem('dpop_invalid', 'invalid_token', { status: 401, message })
  return new ProblemError({ ...problem, challengeScheme: 'DPoP' })
}

/**
 * Verifies the request's access token strictly (core: format, signature, claims) and its binding — the
 * fingerprint cookie, or for a DPoP-bound token (`cnf.jkt`) the DPoP scheme and a proof by its key for this
 * request (RFC 9449 §7) — without any store call beyond the proof's replay register.
 *
 * @example
 * const claims = await verifyAccessToken(request, ctx)
 */
export async function verifyAccessToken(
  request: FastifyRequest,
  ctx: AppContext,
): Promise<AccessTokenClaims> {
  const credential = readAccessCredential(request)
  if (credential === undefined) throw reject('missing_token')
  const check = checkAccessToken(credential.token, {
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
  const jkt = claims.cnf?.jkt
  // RFC 9449 §7.1: a bound token must come under the DPoP scheme with a proof; sent as a bearer token it
  // is what a thief would send, and an unbound token under DPoP is a confused client.
  if (jkt === undefined) {
    if (credential.scheme === 'dpop') throw dpopRefusal('this token is not DPoP-bound; send it as Bearer')
  } else {
    if (credential.scheme !== 'dpop')
      throw dpopRefusal('this token is DPoP-bound; send it under the DPoP scheme')
    await checkBoundTokenProof(request, ctx, credential.token, jkt)
  }
  return claims
}

/**
 * Authenticates a request to one of the server's own user endpoints: {@link verifyAccessToken}, then the live
 * state the auth server has at hand anyway (session, user, not-before), so a revoked session is refused
 * here at once rather than at token expiry.
 *
 * @example
 * const auth = await authenticate(request, ctx)
 */
export async function authenticate(request: FastifyRequest, ctx: AppContext): Promise<AuthContext> {
  const claims = await verifyAccessToken(request, ctx)
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
