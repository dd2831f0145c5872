import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { refreshSession } from '../../domain/refresh-rotation.ts'
import { hashRefreshToken, parseRefreshToken } from '../../domain/refresh-token-format.ts'
import { revokeSession } from '../../domain/sessions.ts'
import type { AppContext } from '../app-context.ts'
import { verifyAccessToken } from '../authenticate.ts'
import { clearingCookies, parseCookieHeader, REFRESH_COOKIE } from '../cookies.ts'
import { checkTokenEndpointProof } from '../dpop-request.ts'
import { assertCookieWriteAllowed } from '../origin-policy.ts'
import { ProblemError, reject } from '../problem.ts'
import { sendProblem } from '../send-problem.ts'
import { oauthProblem } from '../service-problem.ts'
import { clientContextOf, sendTokenResponse } from '../token-response.ts'
import { TokenResponseSchema } from './schemas.ts'

const RefreshBody = Type.Object(
  { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })) },
  { additionalProperties: false },
)

/** No body at all (a cookie refresh, a bearer logout) is the same as an empty JSON object. */
async function defaultEmptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {}
}

type TokenSource = { readonly kind: 'cookie' | 'body'; readonly token: string } | { readonly kind: 'bearer' }

/**
 * Finds the one credential of a refresh or logout request. Two sources at once are refused (SPEC §5 "one
 * token source only"): a request that carries both is either confused or an attack, and picking one would
 * let a planted cookie or body override the other.
 */
function readTokenSource(
  request: FastifyRequest,
  options: { readonly allowBearer: boolean },
): TokenSource | undefined {
  const body = request.body as { refresh_token?: string } | undefined
  const cookie = parseCookieHeader(request.headers.cookie).get(REFRESH_COOKIE)
  const hasBearer = options.allowBearer && request.headers.authorization !== undefined
  const sources: TokenSource[] = []
  if (cookie !== undefined && cookie !== '') sources.push({ kind: 'cookie', token: cookie })
  if (body?.refresh_token !== undefined) sources.push({ kind: 'body', token: body.refresh_token })
  if (hasBearer) sources.push({ kind: 'bearer' })
  if (sources.length > 1) {
    throw reject('invalid_request', {
      field: 'refresh_token',
      message: 'send the credential in exactly one place',
    })
  }
  const [source] = sources
  if (source?.kind === 'cookie') assertCookieWriteAllowed(request)
  return source
}

/**
 * The refusal of a refresh (or of a logout by refresh token). A refresh token of a DPoP-bound session
 * presented without a proof by its key is RFC 6749 §5.2 `invalid_grant` with reason `dpop_invalid`: the
 * grant, not a proof, was refused (RFC 9449 §5).
 */
function refreshRefusal(reason: Parameters<typeof reject>[0]): ProblemError {
  if (reason !== 'dpop_invalid') return reject(reason)
  const message = 'this refresh token is bound to a DPoP key; send a proof by that key'
  return new ProblemError(oauthProblem('dpop_invalid', 'invalid_grant', { status: 401, message }))
}

/** After a failed cookie refresh the cookies are worthless: clear them so the page stops retrying. */
function sendRefreshFailure(reply: FastifyReply, error: ProblemError, source: TokenSource): FastifyReply {
  if (source.kind === 'cookie') reply.header('set-cookie', clearingCookies())
  return sendProblem(reply, error.problem)
}

/**
 * POST /v1/refresh (rotation with grace window and reuse detection, see domain/refresh-rotation.ts) and
 * POST /v1/logout (ends the session of the presented refresh or access token; always clears cookies).
 *
 * @example
 * registerRefreshRoutes(app, ctx)
 */
export function registerRefreshRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/v1/refresh',
    {
      schema: {
        summary: 'Rotate the refresh token and get a new access token',
        body: RefreshBody,
        response: { 200: TokenResponseSchema },
      },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const source = readTokenSource(request, { allowBearer: false })
      if (!source || source.kind === 'bearer') {
        throw reject('invalid_request', { field: 'refresh_token', message: 'refresh_token is required' })
      }
      const outcome = await refreshSession(ctx.sessions, source.token, clientContextOf(request, ctx))
      ctx.metrics.recordRefresh(outcome)
      if (!outcome.ok) return sendRefreshFailure(reply, refreshRefusal(outcome.reason), source)
      // The user was read in the rotation's own transaction; reading it again would cost a query per refresh.
      return sendTokenResponse(request, reply, ctx, outcome.issued, outcome.user, 200)
    },
  )

  app.post(
    '/v1/logout',
    { schema: { summary: 'End the current session', body: RefreshBody }, preValidation: defaultEmptyBody },
    async (request, reply) => {
      const source = readTokenSource(request, { allowBearer: true })
      if (!source) throw reject('missing_token')
      const now = ctx.clock.nowSeconds()
      if (source.kind === 'bearer') {
        const claims = await verifyAccessToken(request, ctx)
        if (claims.sid !== undefined) await revokeSession(ctx.sessions, claims.sub, claims.sid, 'logout')
      } else {
        const parsed = parseRefreshToken(source.token, ctx.sessions.refreshKeys)
        if (!parsed) return sendRefreshFailure(reply, reject('invalid_refresh_token'), source)
        const session = await ctx.store.sessions.findByRefreshTokenHash(hashRefreshToken(parsed.text))
        // RFC 9449 §5: a bound session's refresh token is worth nothing without its key, ending it included.
        if (
          session?.dpopJkt != null &&
          (await checkTokenEndpointProof(request, reply, ctx)) !== session.dpopJkt
        ) {
          return sendRefreshFailure(reply, refreshRefusal('dpop_invalid'), source)
        }
        if (session && session.state === 'active' && session.expiresAt > now) {
          await revokeSession(ctx.sessions, session.userId, session.id, 'logout')
        }
      }
      // Logging out twice, or with a token of an already-ended session, is still a successful logout.
      return reply.header('set-cookie', clearingCookies()).code(204).send()
    },
  )
}
