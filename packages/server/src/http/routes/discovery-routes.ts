import type { FastifyInstance } from 'fastify'
import { META_SCOPES } from '../../domain/scopes.ts'
import type { AppContext } from '../app-context.ts'
import { DPOP_ALGORITHMS } from '../send-problem.ts'

/** RFC 6749 §2.3.1: HTTP Basic, or the id and secret as form fields. */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post']

/**
 * RFC 8414 metadata and the JWKS. Both are public and cacheable; the JWKS holds the `next`, `current` and
 * unexpired `retired` keys with public members only, straight from the ring in memory (no store call).
 *
 * @example
 * registerDiscoveryRoutes(app, ctx)
 */
export function registerDiscoveryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { issuer } = ctx.config
  const cacheControl = `public, max-age=${ctx.config.keys.jwksCacheSeconds}`
  const metadata = Object.freeze({
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // No authorization endpoint yet: password and refresh flows live under /v1 (SPEC §3).
    response_types_supported: [],
    grant_types_supported: ['refresh_token', 'client_credentials'],
    token_endpoint: `${issuer}/oauth/token`,
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    // Meta scopes (clients calling Tessera) and the scopes of user tokens; client scopes are the operator's.
    scopes_supported: [...new Set([...Object.values(META_SCOPES), ...ctx.config.accessToken.defaultScopes])],
    access_token_signing_alg_values_supported: [ctx.config.accessToken.algorithm],
    // RFC 9449 §5.1: the proof algorithms the token endpoint accepts.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    service_documentation: `${issuer}/openapi.json`,
  })

  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    return reply.header('cache-control', cacheControl).send(metadata)
  })

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply.header('cache-control', cacheControl).send(ctx.ring.jwks())
  })
}
