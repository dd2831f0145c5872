import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifySchema } from 'fastify'
import { META_SCOPES } from '../../domain/scopes.ts'
import { introspectToken } from '../../domain/token-introspection.ts'
import { revokeToken } from '../../domain/token-revocation.ts'
import type { AppContext } from '../app-context.ts'
import { authenticateClient, requireClientScope } from '../client-auth.ts'
import { type FormParams, registerFormParser } from '../form-body.ts'
import { ProblemError, reject } from '../problem.ts'
import { oauthProblem, registerServiceErrorHandler } from '../service-problem.ts'
import { FIRST_PARTY_CLIENT_ID } from '../token-response.ts'
import { handleTokenRequest } from './oauth-token-grants.ts'

const MAX_TOKEN_CHARS = 8192

const OAuthTokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  expires_in: Type.Integer(),
  refresh_token: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
})

// Summaries for /openapi.json; the form bodies are parsed by hand, not by a JSON schema.
const REVOKE_SCHEMA: FastifySchema & { summary: string } = {
  summary: 'Revoke a refresh or access token: ends its session (RFC 7009, form body)',
}
const INTROSPECT_SCHEMA: FastifySchema & { summary: string } = {
  summary: 'Introspect a token (RFC 7662; client with tokens:introspect, form body)',
}

function tokenParam(form: FormParams): string {
  const token = form.token
  if (token === undefined) throw reject('invalid_request', { field: 'token', message: 'token is required' })
  return token
}

/**
 * The OAuth endpoints: POST /oauth/token (RFC 6749), /oauth/revoke (RFC 7009) and /oauth/introspect
 * (RFC 7662). They live in their own encapsulated plugin because they speak
 * `application/x-www-form-urlencoded` (and only that) and answer errors the OAuth way (see
 * service-problem.ts); unrecognised parameters are ignored, as RFC 6749 §3.1 requires.
 *
 * @example
 * await registerOAuthRoutes(app, ctx)
 */
export async function registerOAuthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (oauth) => {
    registerFormParser(oauth)
    registerServiceErrorHandler(oauth, { formBodies: true })

    oauth.post(
      '/oauth/token',
      {
        schema: {
          summary: 'Token endpoint: grant_type refresh_token or client_credentials (form body)',
          response: { 200: OAuthTokenResponse },
        },
      },
      (request, reply) => handleTokenRequest(request, reply, ctx),
    )

    oauth.post('/oauth/revoke', { schema: REVOKE_SCHEMA }, async (request, reply) => {
      const form = (request.body ?? {}) as FormParams
      const client = await authenticateClient(request, ctx, form)
      const token = tokenParam(form)
      // token_type_hint is only a hint (RFC 7009 §2.1); the token's format tells the kinds apart.
      const outcome =
        token.length > MAX_TOKEN_CHARS
          ? { kind: 'ignored' as const }
          : await revokeToken(
              {
                inspector: ctx.tokenInspector,
                sessions: ctx.sessions,
                firstPartyClientId: FIRST_PARTY_CLIENT_ID,
              },
              client,
              token,
            )
      if (outcome.kind === 'not_permitted') {
        throw reject('insufficient_scope', {
          message: `the token was not issued to this client (first-party tokens need ${META_SCOPES.revokeSessions})`,
        })
      }
      if (outcome.kind === 'unsupported') {
        throw new ProblemError(
          oauthProblem('invalid_request', 'unsupported_token_type', {
            field: 'token',
            message: 'an access token without a session cannot be revoked; it expires on its own',
          }),
        )
      }
      // RFC 7009 §2.2: 200 whether or not there was anything to revoke.
      return reply.header('cache-control', 'no-store').code(200).send()
    })

    oauth.post('/oauth/introspect', { schema: INTROSPECT_SCHEMA }, async (request, reply) => {
      const form = (request.body ?? {}) as FormParams
      const client = await authenticateClient(request, ctx, form)
      requireClientScope(client, META_SCOPES.introspect)
      const token = tokenParam(form)
      const answer =
        token.length > MAX_TOKEN_CHARS
          ? { active: false }
          : await introspectToken(ctx.tokenInspector, token, {
              issuer: ctx.config.issuer,
              sessionScopes: ctx.config.accessToken.defaultScopes,
            })
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer)
    })
  })
}
