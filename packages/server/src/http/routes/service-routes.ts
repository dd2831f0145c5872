import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { META_SCOPES } from '../../domain/scopes.ts'
import { mintTokens } from '../../domain/token-mint.ts'
import type { AppContext } from '../app-context.ts'
import { authenticateClient, requireClientScope } from '../client-auth.ts'
import { reject } from '../problem.ts'
import { registerServiceErrorHandler } from '../service-problem.ts'
import { registerAdminEventsRoute } from './admin-events-route.ts'
import { registerRevocationFeedRoute } from './revocation-feed-route.ts'

const TokenUsesBody = Type.Object(
  {
    iss: Type.String({ minLength: 1, maxLength: 2048 }),
    jti: Type.String({ minLength: 1, maxLength: 255 }),
    exp: Type.Integer({ minimum: 0 }),
    max_uses: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
)

const MintResponse = Type.Object({
  tokens: Type.Array(Type.Object({ access_token: Type.String(), expires_in: Type.Integer() })),
})

/**
 * The JSON endpoints that services call with their client credentials (HTTP Basic): batch minting
 * (POST /v1/tokens), `max_uses` counters (POST /v1/token-uses), the revocation feed
 * (GET /v1/revocations) and the security record (GET /v1/admin/events). Each needs its own meta scope.
 *
 * @example
 * await registerServiceRoutes(app, ctx)
 */
export async function registerServiceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { config } = ctx
  const longestLifetimeSeconds = Math.max(config.accessToken.ttlSeconds, config.mint.maxTtlSeconds)

  await app.register(async (service) => {
    registerServiceErrorHandler(service, { formBodies: false })

    service.post(
      '/v1/tokens',
      {
        schema: {
          summary: 'Mint up to 100 access tokens (client with tokens:mint; HTTP Basic)',
          response: { 200: MintResponse },
        },
      },
      async (request, reply) => {
        const client = await authenticateClient(request, ctx)
        requireClientScope(client, META_SCOPES.mint)
        const outcome = await mintTokens(
          { store: ctx.store, tokens: ctx.serviceTokens },
          client,
          request.body,
          {
            issuer: config.issuer,
            maxTtlSeconds: config.mint.maxTtlSeconds,
            defaultTtlSeconds: Math.min(config.accessToken.ttlSeconds, config.mint.maxTtlSeconds),
          },
        )
        if (!outcome.ok) throw reject('invalid_request', { field: outcome.field, message: outcome.message })
        return reply.header('cache-control', 'no-store').send({ tokens: outcome.tokens })
      },
    )

    service.post(
      '/v1/token-uses',
      {
        schema: {
          summary: 'Count one use of a max_uses token (client with tokens:consume; HTTP Basic)',
          body: TokenUsesBody,
          response: { 200: Type.Object({ allowed: Type.Boolean(), remaining: Type.Integer() }) },
        },
      },
      async (request, reply) => {
        const client = await authenticateClient(request, ctx)
        requireClientScope(client, META_SCOPES.consumeTokens)
        const body = request.body as { iss: string; jti: string; exp: number; max_uses: number }
        if (body.iss !== config.issuer) {
          throw reject('invalid_request', { field: 'iss', message: 'iss is not this server’s issuer' })
        }
        const now = ctx.clock.nowSeconds()
        const expiresAt = body.exp + config.accessToken.leewaySeconds
        // A counter row lives until its token dies; a far-future exp would keep it for ever.
        if (body.exp > now + longestLifetimeSeconds + config.accessToken.leewaySeconds) {
          throw reject('invalid_request', { field: 'exp', message: 'exp is beyond any token’s lifetime' })
        }
        const decision =
          expiresAt <= now
            ? { allowed: false, remaining: 0 }
            : await ctx.tokenUses.consume({
                iss: body.iss,
                jti: body.jti,
                maxUses: body.max_uses,
                expiresAt,
              })
        return reply.header('cache-control', 'no-store').send(decision)
      },
    )

    registerRevocationFeedRoute(service, ctx)
    registerAdminEventsRoute(service, ctx)
  })
}
