import type { FastifyReply, FastifyRequest } from 'fastify'
import { refreshSession } from '../../domain/refresh-rotation.ts'
import { grantableScopes, missingScopes, parseScopeList } from '../../domain/scopes.ts'
import type { ClientContext } from '../../domain/sessions.ts'
import type { ClientRecord } from '../../store/ports.ts'
import type { AppContext } from '../app-context.ts'
import { type PresentedClient, readPresentedClient, verifyPresentedClient } from '../client-auth.ts'
import type { FormParams } from '../form-body.ts'
import { ProblemError, reject } from '../problem.ts'
import { ClientAuthError, oauthProblem } from '../service-problem.ts'
import { clientContextOf, FIRST_PARTY_CLIENT_ID, tokenTypeOf } from '../token-response.ts'

/** RFC 6749 §5.1: token responses must not be cached. */
function sendTokens(reply: FastifyReply, body: Record<string, unknown>): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').code(200).send(body)
}

function requireParam(form: FormParams, name: string): string {
  const value = form[name]
  if (value === undefined) throw reject('invalid_request', { field: name, message: `${name} is required` })
  return value
}

/** Parses `scope`: malformed → `invalid_scope`; beyond what may be granted → `invalid_scope` too. */
function requestedScopes(form: FormParams, grantable: readonly string[]): string[] | undefined {
  if (form.scope === undefined) return undefined
  const scopes = parseScopeList(form.scope)
  if (scopes === undefined) {
    throw new ProblemError(
      oauthProblem('invalid_request', 'invalid_scope', { field: 'scope', message: 'scope is malformed' }),
    )
  }
  const [missing] = missingScopes(scopes, grantable)
  if (missing !== undefined) {
    throw new ProblemError(
      oauthProblem('insufficient_scope', 'invalid_scope', {
        field: 'scope',
        message: `scope ${missing} may not be granted`,
      }),
    )
  }
  return scopes
}

/**
 * RFC 6749 §6 with the rules of POST /v1/refresh (domain/refresh-rotation.ts: grace window, reuse
 * detection). First-party sessions belong to the public client `tessera`, which needs no secret; a
 * registered client must authenticate, and may refresh only its own sessions.
 */
async function refreshTokenGrant(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  form: FormParams,
  clientId: string,
): Promise<FastifyReply> {
  const refreshToken = requireParam(form, 'refresh_token')
  const sessionScopes = [...ctx.config.accessToken.defaultScopes].sort()
  const scopes = requestedScopes(form, sessionScopes)
  // User tokens carry the session's scopes; a narrower set cannot be issued, so only the same set passes.
  if (scopes !== undefined && scopes.length !== sessionScopes.length) {
    throw new ProblemError(
      oauthProblem('insufficient_scope', 'invalid_scope', {
        field: 'scope',
        message: 'scope cannot be narrowed',
      }),
    )
  }
  const context: ClientContext = { ...clientContextOf(request, ctx), clientId, bindFingerprint: false }
  const outcome = await refreshSession(ctx.sessions, refreshToken, context)
  ctx.metrics.recordRefresh(outcome)
  // RFC 6749 §5.2: every refusal of the grant itself is invalid_grant, status 400.
  if (!outcome.ok) throw new ProblemError(oauthProblem(outcome.reason, 'invalid_grant'))
  const { issued } = outcome
  return sendTokens(reply, {
    access_token: issued.access.accessToken,
    token_type: tokenTypeOf(issued.access.claims),
    expires_in: issued.access.expiresIn,
    refresh_token: issued.refreshToken,
    ...(issued.access.claims.scope ? { scope: issued.access.claims.scope } : {}),
  })
}

/**
 * RFC 6749 §4.4: a token for the client itself. `sub` = `client_id` = the client's `cli_…` id, no `sid`,
 * no refresh token (§4.4.3). Scopes default to the client's grantable ones (its scopes minus meta scopes).
 */
function clientCredentialsGrant(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  form: FormParams,
  client: ClientRecord,
): FastifyReply {
  const grantable = grantableScopes(client.scopes)
  const scopes = requestedScopes(form, grantable) ?? grantable
  const dpopJkt = request.dpopJkt
  const issued = ctx.serviceTokens.issueClientToken(client, scopes, dpopJkt === undefined ? {} : { dpopJkt })
  return sendTokens(reply, {
    access_token: issued.accessToken,
    token_type: tokenTypeOf(issued.claims),
    expires_in: issued.expiresIn,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(' ') }),
  })
}

async function authenticated(
  request: FastifyRequest,
  ctx: AppContext,
  presented: PresentedClient,
): Promise<ClientRecord> {
  if (presented.kind !== 'secret') throw new ClientAuthError('client authentication is required')
  return await verifyPresentedClient(request, ctx, presented)
}

/**
 * POST /oauth/token: dispatches on `grant_type`. Presented credentials are checked first, so a wrong
 * secret is `invalid_client` whatever else is wrong with the request.
 *
 * @example
 * oauth.post('/oauth/token', (request, reply) => handleTokenRequest(request, reply, ctx))
 */
export async function handleTokenRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
): Promise<FastifyReply> {
  const form = (request.body ?? {}) as FormParams
  const presented = readPresentedClient(request, form)
  const client = presented.kind === 'secret' ? await authenticated(request, ctx, presented) : undefined
  const grantType = requireParam(form, 'grant_type')
  if (grantType === 'client_credentials') {
    return clientCredentialsGrant(
      request,
      reply,
      ctx,
      form,
      client ?? (await authenticated(request, ctx, presented)),
    )
  }
  if (grantType === 'refresh_token') {
    if (client !== undefined) return await refreshTokenGrant(request, reply, ctx, form, client.id)
    if (presented.kind === 'public' && presented.clientId !== FIRST_PARTY_CLIENT_ID) {
      throw new ClientAuthError('client authentication is required')
    }
    return await refreshTokenGrant(request, reply, ctx, form, FIRST_PARTY_CLIENT_ID)
  }
  throw new ProblemError(
    oauthProblem('invalid_request', 'unsupported_grant_type', {
      field: 'grant_type',
      message: 'grant_type must be refresh_token or client_credentials',
    }),
  )
}
