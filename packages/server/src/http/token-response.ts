import type { AccessTokenClaims } from '@tessera/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ClientContext, IssuedSession } from '../domain/sessions.ts'
import type { UserRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'
import { FINGERPRINT_COOKIE, refreshCookies, serializeCookie } from './cookies.ts'

/** The first-party client every password login belongs to (registered clients arrive with /oauth/*). */
export const FIRST_PARTY_CLIENT_ID = 'tessera'
const MAX_USER_AGENT_CHARS = 512

/**
 * The client context of a request: mode, address (X-Forwarded-For only through trusted proxies, which
 * Fastify's `trustProxy` enforces), a bounded user agent, and whether to bind a fingerprint.
 *
 * @example
 * const issued = await startSession(ctx.sessions, user, clientContextOf(request, ctx))
 */
export function clientContextOf(request: FastifyRequest, ctx: AppContext): ClientContext {
  const userAgent = request.headers['user-agent']
  return {
    clientId: FIRST_PARTY_CLIENT_ID,
    ip: request.ip || null,
    userAgent:
      typeof userAgent === 'string' && userAgent !== '' ? userAgent.slice(0, MAX_USER_AGENT_CHARS) : null,
    bindFingerprint: request.clientMode === 'browser' && ctx.config.cookies.fingerprintBinding,
    ...(request.dpopJkt === undefined ? {} : { dpopJkt: request.dpopJkt }),
  }
}

/**
 * The `token_type` of a token response: `DPoP` for a token bound to a DPoP key (RFC 9449 §5), else `Bearer`.
 *
 * @example
 * reply.send({ access_token, token_type: tokenTypeOf(claims) })
 */
export function tokenTypeOf(claims: AccessTokenClaims): 'DPoP' | 'Bearer' {
  return claims.cnf?.jkt === undefined ? 'Bearer' : 'DPoP'
}

/**
 * The public view of a user in token responses and /v1/me.
 *
 * @example
 * reply.send({ user: publicUser(user) })
 */
export function publicUser(user: UserRecord): { id: string; email: string; name: string | null } {
  return { id: user.id, email: user.email, name: user.name }
}

/**
 * The Set-Cookie values of a browser session: the refresh cookie (for the refresh and logout paths, living
 * as long as the session may idle, never past its absolute end) and, when bound, the fingerprint cookie.
 *
 * @example
 * reply.header('set-cookie', sessionCookies(ctx, issued))
 */
export function sessionCookies(ctx: AppContext, issued: IssuedSession): string[] {
  const now = ctx.clock.nowSeconds()
  const refreshMaxAge = Math.min(ctx.config.refreshToken.idleSeconds, issued.session.expiresAt - now)
  const cookies = refreshCookies(issued.refreshToken, refreshMaxAge)
  if (issued.fingerprint !== undefined) {
    cookies.push(serializeCookie({ name: FINGERPRINT_COOKIE, value: issued.fingerprint, path: '/' }))
  }
  return cookies
}

/**
 * Sends the SPEC §3 token response. Browser mode: the refresh token goes only into the HttpOnly cookie,
 * never into the body (script can't read it, so XSS can't exfiltrate it). Native mode: it is in the body.
 *
 * @example
 * return sendTokenResponse(request, reply, ctx, issued, user, 201)
 */
export function sendTokenResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  issued: IssuedSession,
  user: UserRecord,
  status: number,
): FastifyReply {
  const isBrowser = request.clientMode === 'browser'
  if (isBrowser) reply.header('set-cookie', sessionCookies(ctx, issued))
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  return reply.code(status).send({
    access_token: issued.access.accessToken,
    token_type: tokenTypeOf(issued.access.claims),
    expires_in: issued.access.expiresIn,
    ...(isBrowser ? {} : { refresh_token: issued.refreshToken }),
    session_id: issued.session.id,
    user: publicUser(user),
  })
}
